import { AppError } from "@memstore/core";
import { z } from "zod";
import { type Architecture, moduleShape } from "./architecture.ts";
import { isFloatDtype } from "./dtype.ts";
import { type TensorInfo } from "./safetensors.ts";
import { type TensorSource, writeSafetensors } from "./safetensors-writer.ts";
import { readTar, type TarLimits, writeTar } from "./tar.ts";
import type { ByteSource } from "./byte-reader.ts";
import { pickleReason, refusePickle } from "./pickle.ts";
import { DuplicateKeyError, parseStrictJson } from "./strict-json.ts";

/**
 * PEFT LoRA packs: `adapter_config.json` beside `adapter_model.safetensors`, whose tensors are
 * `base_model.model.<module path>.lora_A.weight` `[r, in]` and `.lora_B.weight` `[out, r]`. A module's
 * update is ΔW = scaling · B·A with scaling alpha/r (alpha/√r with rsLoRA), per-module r and alpha
 * from `rank_pattern`/`alpha_pattern`.
 */
export const LORA_CONFIG_FILE = "adapter_config.json";
export const LORA_WEIGHTS_FILE = "adapter_model.safetensors";

const patternSchema = z.record(z.string(), z.number().positive()).default({});

export const loraConfigSchema = z
  .object({
    peft_type: z.literal("LORA", { message: 'peft_type must be "LORA"' }),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive(),
    target_modules: z.union([z.string().min(1), z.array(z.string().min(1)).nonempty()]),
    base_model_name_or_path: z.string().min(1),
    use_rslora: z.boolean().default(false),
    rank_pattern: patternSchema,
    alpha_pattern: patternSchema,
    fan_in_fan_out: z
      .literal(false, { message: "fan_in_fan_out (Conv1D) adapters are not supported" })
      .optional(),
    use_dora: z.literal(false, { message: "DoRA adapters are not supported" }).optional(),
    bias: z.literal("none", { message: 'only bias "none" is supported' }).optional(),
  })
  .loose();
export type LoraConfig = z.infer<typeof loraConfigSchema>;

/** Parses `adapter_config.json`, or 422 `lora_config_invalid` naming the field. */
export function parseLoraConfig(bytes: Uint8Array): LoraConfig {
  let raw: unknown;
  try {
    raw = parseStrictJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    const why =
      error instanceof DuplicateKeyError
        ? `has a ${error.message}`
        : `is not valid JSON (${(error as Error).message})`;
    throw new AppError("lora_config_invalid", `${LORA_CONFIG_FILE} ${why}`);
  }
  const parsed = loraConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    throw new AppError("lora_config_invalid", `${LORA_CONFIG_FILE}: ${field}: ${issue.message}`, { field });
  }
  for (const [key, value] of Object.entries(parsed.data.rank_pattern)) {
    if (!Number.isInteger(value)) {
      throw new AppError(
        "lora_config_invalid",
        `${LORA_CONFIG_FILE}: rank_pattern.${key}: ${value} is not an integer`,
        {
          field: `rank_pattern.${key}`,
        },
      );
    }
  }
  return parsed.data;
}

/** PEFT's matching: a regex over the whole name for a string; a name or dotted suffix for a list. */
export function targets(config: LoraConfig, modulePath: string): boolean {
  const t = config.target_modules;
  if (typeof t === "string") return t === "all-linear" || new RegExp(`^(?:${t})$`).test(modulePath);
  return t.some((name) => modulePath === name || modulePath.endsWith(`.${name}`));
}

/** The first `pattern` key matching the module the way PEFT does (`(.*\.)?key$`), or the default. */
function patterned(pattern: Record<string, number>, modulePath: string, fallback: number): number {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(modulePath)) return value;
  }
  return fallback;
}

export type LoraModule = {
  path: string;
  rank: number;
  alpha: number;
  scaling: number;
  /** Input and output features of the module (from its A and B). */
  in: number;
  out: number;
  a: string;
  b: string;
};

export function rankAndScaling(config: LoraConfig, modulePath: string) {
  const rank = patterned(config.rank_pattern, modulePath, config.r);
  const alpha = patterned(config.alpha_pattern, modulePath, config.lora_alpha);
  return { rank, alpha, scaling: config.use_rslora ? alpha / Math.sqrt(rank) : alpha / rank };
}

const KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/**
 * Checks an adapter's tensors against its config (key names, complete pairs, targeted modules,
 * 2-D float shapes with the configured rank) and, given the base model's architecture, against its
 * layers. Returns each module with its rank and scaling, in path order.
 */
export function checkLoraTensors(config: LoraConfig, tensors: readonly TensorInfo[], arch?: Architecture) {
  const pairs = new Map<string, { A?: TensorInfo; B?: TensorInfo }>();
  for (const t of tensors) {
    const match = KEY.exec(t.name);
    if (!match) {
      throw new AppError(
        "lora_key_invalid",
        `tensor '${t.name}' is not a LoRA weight; names are base_model.model.<module>.lora_A.weight and .lora_B.weight`,
        { tensor: t.name },
      );
    }
    if (!isFloatDtype(t.dtype)) {
      throw new AppError(
        "lora_key_invalid",
        `tensor '${t.name}' is ${t.dtype}; LoRA weights are F32, F16 or BF16`,
        {
          tensor: t.name,
        },
      );
    }
    const pair = pairs.get(match[1]!) ?? {};
    pair[match[2] as "A" | "B"] = t;
    pairs.set(match[1]!, pair);
  }
  if (pairs.size === 0) throw new AppError("lora_key_invalid", `${LORA_WEIGHTS_FILE} holds no LoRA weights`);
  const modules: LoraModule[] = [];
  for (const [path, { A, B }] of [...pairs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!A || !B) {
      const [has, lacks] = A ? ["lora_A", "lora_B"] : ["lora_B", "lora_A"];
      throw new AppError("lora_pair_incomplete", `module '${path}' has ${has} but no ${lacks}`, {
        tensor: (A ?? B)!.name,
      });
    }
    if (!targets(config, path)) {
      throw new AppError(
        "lora_key_invalid",
        `module '${path}' is not among target_modules ${JSON.stringify(config.target_modules)}`,
        { tensor: A.name },
      );
    }
    const { rank, alpha, scaling } = rankAndScaling(config, path);
    const shapeError = (t: TensorInfo, expected: string) =>
      new AppError(
        "lora_shape_mismatch",
        `tensor '${t.name}' has shape ${JSON.stringify(t.shape)}; expected ${expected}`,
        {
          tensor: t.name,
        },
      );
    if (A.shape.length !== 2 || A.shape[0] !== rank) throw shapeError(A, `[${rank}, in] (r = ${rank})`);
    if (B.shape.length !== 2 || B.shape[1] !== rank) throw shapeError(B, `[out, ${rank}] (r = ${rank})`);
    const module = { path, rank, alpha, scaling, in: A.shape[1]!, out: B.shape[0]!, a: A.name, b: B.name };
    if (arch) {
      const shape = moduleShape(arch, path);
      if (typeof shape === "string") {
        throw new AppError("base_model_mismatch", `module '${path}': ${shape}`, { tensor: A.name });
      }
      const [out, inFeatures] = shape;
      if (module.in !== inFeatures) {
        throw new AppError(
          "base_model_mismatch",
          `tensor '${A.name}' takes ${module.in} input features; the base model's ${path} takes ${inFeatures}`,
          { tensor: A.name },
        );
      }
      if (module.out !== out) {
        throw new AppError(
          "base_model_mismatch",
          `tensor '${B.name}' gives ${module.out} output features; the base model's ${path} gives ${out}`,
          { tensor: B.name },
        );
      }
    }
    modules.push(module);
  }
  return modules;
}

/** A PEFT pack as a tar stream: the config and the canonical weights file (tensors in memory). */
export async function* writeLoraPack(
  config: LoraConfig,
  tensors: readonly TensorSource[],
  metadata: Record<string, string> = {},
) {
  const configBytes = Buffer.from(JSON.stringify(config, null, 2) + "\n");
  const parts: Uint8Array[] = [];
  for await (const piece of writeSafetensors(tensors, metadata)) parts.push(piece);
  const weights = Buffer.concat(parts);
  yield* writeTar([
    { path: LORA_CONFIG_FILE, size: configBytes.length, data: configBytes },
    { path: LORA_WEIGHTS_FILE, size: weights.length, data: weights },
  ]);
}

/** A LoRA tensor's name for a module path. */
export const loraKey = (modulePath: string, side: "A" | "B") =>
  `base_model.model.${modulePath}.lora_${side}.weight`;

/** The largest `adapter_config.json` read (real ones are about 1 KB). */
const MAX_CONFIG_BYTES = 1 << 20;
/** The most of a pack's README kept as the text it documents (model cards are a few KB). */
export const MAX_README_BYTES = 64 << 10;
const README = /^readme(\.(md|markdown|txt))?$/i;

/**
 * Reads a PEFT pack from a tar stream: the config is parsed, the weights file is handed to `weights`
 * as a stream (to store it; nothing of it is held here), other files are listed and left, and any
 * pickle (`adapter_model.bin`, pickle opcodes) is refused. The two files may sit at the root or in
 * one directory, as `tar -c my-adapter/` makes it.
 */
export async function unpackLoraPack<T>(
  source: ByteSource,
  limits: TarLimits,
  weights: (chunks: AsyncIterable<Uint8Array>, size: number) => Promise<T>,
) {
  let config: LoraConfig | null = null;
  let stored: { value: T } | null = null;
  let readme: string | null = null;
  const ignored: string[] = [];
  const dirs = new Set<string>();
  for await (const entry of readTar(source, limits)) {
    const slash = entry.path.lastIndexOf("/");
    const name = entry.path.slice(slash + 1);
    if (pickleReason(name, new Uint8Array(0))) refusePickle(name, new Uint8Array(0));
    if (name === LORA_CONFIG_FILE || name === LORA_WEIGHTS_FILE) {
      dirs.add(entry.path.slice(0, Math.max(slash, 0)));
      if (dirs.size > 1) {
        throw new AppError(
          "lora_pack_invalid",
          `the tar holds more than one adapter ('${entry.path}'); upload one pack per version`,
        );
      }
    }
    if (name === LORA_CONFIG_FILE) {
      if (entry.size > MAX_CONFIG_BYTES) {
        throw new AppError(
          "lora_pack_invalid",
          `${LORA_CONFIG_FILE} is ${entry.size} bytes; at most ${MAX_CONFIG_BYTES}`,
        );
      }
      const parts: Uint8Array[] = [];
      for await (const c of entry.chunks) parts.push(c);
      config = parseLoraConfig(Buffer.concat(parts));
    } else if (name === LORA_WEIGHTS_FILE) {
      stored = { value: await weights(entry.chunks, entry.size) };
    } else {
      // Anything else (a README, training arguments) is left out of the pack, unless it is a pickle;
      // the README's text is kept as what the pack documents (its first 64 KiB).
      if (readme === null && README.test(name)) readme = await readmeText(entry.chunks);
      else {
        const first = await entry.chunks[Symbol.asyncIterator]().next();
        refusePickle(name, first.done ? new Uint8Array(0) : first.value);
      }
      ignored.push(entry.path);
    }
  }
  if (!config || !stored) {
    const missing = [!config && LORA_CONFIG_FILE, !stored && LORA_WEIGHTS_FILE].filter(Boolean).join(" and ");
    throw new AppError(
      "lora_pack_invalid",
      `the pack has no ${missing}; a PEFT LoRA pack is a tar of ${LORA_CONFIG_FILE} and ${LORA_WEIGHTS_FILE} (save_pretrained with safe_serialization=True)`,
    );
  }
  return { config, weights: stored.value, ignored, readme };
}

/** A README's text: its first MAX_README_BYTES as UTF-8 (a character cut at the end dropped), no NULs. */
async function readmeText(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of chunks) {
    if (size === 0) refusePickle("README", c);
    parts.push(c);
    size += c.length;
    if (size >= MAX_README_BYTES) break;
  }
  const bytes = Buffer.concat(parts).subarray(0, MAX_README_BYTES);
  return new TextDecoder()
    .decode(bytes)
    .replace(/\uFFFD$/, "")
    .replaceAll("\u0000", "");
}

import { createHash } from "node:crypto";
import { AppError } from "@memstore/core";
import type { Architecture } from "./architecture.ts";
import { type FloatDtype, isFloatDtype } from "./dtype.ts";
import {
  type Dtype,
  DTYPE_SIZES,
  elementsOf,
  type SafetensorsHeader,
  type TensorInfo,
  type TensorSource,
} from "./safetensors.ts";

/**
 * KV snapshots: a model's attention cache after reading a prompt, so a consumer can skip reading it.
 * The canonical file holds `past_key_values.{i}.key` and `.value` shaped `[1, kv_heads, tokens,
 * head_dim]` for every layer and `input_ids` `[1, tokens]`, with `__metadata__` naming the base
 * model, its tokenizer's hash, the dtype, the token count and the prefix hashes. Uploads may also use
 * Transformers' `key_cache.{i}`/`value_cache.{i}` names, or one stacked `[layers, 1, kv_heads,
 * tokens, head_dim]` tensor per side (`key_cache`/`value_cache`, `keys`/`values`); `kvLayout` maps any
 * of them to the canonical tensors as byte ranges of the source, which `convert` copies.
 */
export const PREFIX_CHUNK_TOKENS = 256;

export type KvPart = {
  /** Canonical name. */
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Where its bytes are in the source's data section. */
  source: string;
  begin: number;
  end: number;
};

export type KvLayout = {
  variant: "canonical" | "cache" | "stacked";
  layers: number;
  kvHeads: number;
  tokens: number;
  headDim: number;
  dtype: FloatDtype;
  inputIds: TensorInfo & { dtype: "I64" | "I32" };
  /** Every canonical tensor, `input_ids` included, sorted by name. */
  parts: KvPart[];
};

const layoutError = (message: string, tensor?: string) =>
  new AppError("kv_layout_invalid", message, tensor ? { tensor } : undefined);

const PER_LAYER: [RegExp, (i: number, side: "key" | "value") => string][] = [
  [/^past_key_values\.(\d+)\.(key|value)$/, (i, s) => `past_key_values.${i}.${s}`],
  [/^(key|value)_cache\.(\d+)$/, (i, s) => `${s}_cache.${i}`],
];
const STACKED: Record<string, "key" | "value"> = {
  key_cache: "key",
  value_cache: "value",
  keys: "key",
  values: "value",
};

const canonicalName = (layer: number, side: "key" | "value") => `past_key_values.${layer}.${side}`;

/** Maps a snapshot's tensors, in any accepted layout, to the canonical ones; checks their shapes agree. */
export function kvLayout(header: SafetensorsHeader): KvLayout {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const inputIds = byName.get("input_ids");
  if (!inputIds) throw layoutError("the snapshot has no 'input_ids' tensor ([1, tokens], I64 or I32)");
  if (
    (inputIds.dtype !== "I64" && inputIds.dtype !== "I32") ||
    inputIds.shape.length !== 2 ||
    inputIds.shape[0] !== 1
  ) {
    throw layoutError(
      `'input_ids' is ${inputIds.dtype} ${JSON.stringify(inputIds.shape)}; it must be I64 or I32 [1, tokens]`,
      "input_ids",
    );
  }
  const parts: KvPart[] = [];
  let variant: KvLayout["variant"] | null = null;
  const setVariant = (v: KvLayout["variant"], tensor: string) => {
    if (variant && variant !== v) {
      throw layoutError(`'${tensor}' mixes the ${v} layout with the ${variant} layout`, tensor);
    }
    variant = v;
  };
  for (const t of header.tensors) {
    if (t.name === "input_ids") continue;
    const perLayer = PER_LAYER.map(([re]) => re.exec(t.name)).find(Boolean);
    if (perLayer) {
      const canonical = perLayer[0].startsWith("past_key_values.");
      setVariant(canonical ? "canonical" : "cache", t.name);
      const layer = Number(canonical ? perLayer[1] : perLayer[2]);
      const side = (canonical ? perLayer[2] : perLayer[1]) as "key" | "value";
      parts.push({ ...t, name: canonicalName(layer, side), source: t.name });
      continue;
    }
    const side = STACKED[t.name];
    if (side) {
      setVariant("stacked", t.name);
      if (t.shape.length !== 5) {
        throw layoutError(
          `stacked tensor '${t.name}' has shape ${JSON.stringify(t.shape)}; expected [layers, 1, kv_heads, tokens, head_dim]`,
          t.name,
        );
      }
      const [layers, ...shape] = t.shape as [number, ...number[]];
      const bytes = elementsOf(shape) * DTYPE_SIZES[t.dtype];
      for (let i = 0; i < layers; i++) {
        parts.push({
          name: canonicalName(i, side),
          dtype: t.dtype,
          shape,
          source: t.name,
          begin: t.begin + i * bytes,
          end: t.begin + (i + 1) * bytes,
        });
      }
      continue;
    }
    throw layoutError(
      `tensor '${t.name}' is not part of a KV snapshot (past_key_values.{i}.key/value, key_cache.{i}/value_cache.{i}, or stacked key_cache/value_cache, and input_ids)`,
      t.name,
    );
  }
  if (parts.length === 0) throw layoutError("the snapshot holds no key or value tensors");
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) throw layoutError(`'${p.source}' gives ${p.name} a second time`, p.source);
    names.add(p.name);
  }
  const first = parts[0]!;
  if (!isFloatDtype(first.dtype)) {
    throw layoutError(
      `'${first.source}' is ${first.dtype}; keys and values are F32, F16 or BF16`,
      first.source,
    );
  }
  if (first.shape.length !== 4 || first.shape[0] !== 1) {
    throw layoutError(
      `'${first.source}' has shape ${JSON.stringify(first.shape)}; a layer's key or value is [1, kv_heads, tokens, head_dim]`,
      first.source,
    );
  }
  const tokens = inputIds.shape[1]!;
  if (first.shape[2] !== tokens) {
    throw layoutError(
      `'${first.source}' holds ${first.shape[2]} tokens but input_ids has ${tokens}`,
      first.source,
    );
  }
  for (const p of parts) {
    if (p.dtype !== first.dtype || JSON.stringify(p.shape) !== JSON.stringify(first.shape)) {
      throw layoutError(
        `'${p.source}' (${p.name}) is ${p.dtype} ${JSON.stringify(p.shape)}, unlike '${first.source}' (${first.dtype} ${JSON.stringify(first.shape)})`,
        p.source,
      );
    }
  }
  const layers = parts.length / 2;
  for (let i = 0; i < layers; i++) {
    for (const side of ["key", "value"] as const) {
      if (!parts.some((p) => p.name === canonicalName(i, side))) {
        throw layoutError(
          `layer ${i} has no ${side} (the snapshot's ${parts.length} key/value tensors should cover layers 0 to ${Math.ceil(layers) - 1})`,
        );
      }
    }
  }
  parts.push({ ...inputIds, source: "input_ids" });
  parts.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    variant: variant!,
    layers,
    kvHeads: first.shape[1]!,
    tokens,
    headDim: first.shape[3]!,
    dtype: first.dtype as FloatDtype,
    inputIds: { ...inputIds, dtype: inputIds.dtype },
    parts,
  };
}

/**
 * SHA-256 chained over chunks of 256 token ids (each as a little-endian uint32): hash k covers tokens
 * 0 to 256·(k+1), the last one the whole prompt. A consumer hashes its own prompt the same way to
 * check that it starts with the snapshot's tokens.
 */
export function prefixHashes(ids: ArrayLike<number | bigint>): string[] {
  const hashes: string[] = [];
  let previous = Buffer.alloc(0);
  for (let start = 0; start < ids.length; start += PREFIX_CHUNK_TOKENS) {
    const count = Math.min(PREFIX_CHUNK_TOKENS, ids.length - start);
    const chunk = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) chunk.writeUInt32LE(Number(ids[start + i]!), i * 4);
    previous = createHash("sha256").update(previous).update(chunk).digest();
    hashes.push(previous.toString("hex"));
  }
  return hashes;
}

/** The token ids in an `input_ids` tensor's bytes. */
export function tokenIds(bytes: Uint8Array, dtype: "I64" | "I32"): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dtype === "I64"
    ? Array.from({ length: bytes.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)))
    : Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(i * 4, true));
}

export type KvMetadata = {
  base_model: string;
  tokenizer_sha256: string;
  dtype: string;
  tokens: string;
  prefix_hashes: string;
};

const DTYPE_NAMES: Record<FloatDtype, string[]> = {
  F32: ["f32", "float32"],
  F16: ["f16", "float16"],
  BF16: ["bf16", "bfloat16"],
};

/**
 * Checks a snapshot's `__metadata__` against its tensors and token ids: every field present, the
 * dtype and token count as in the tensors, the prefix hashes those of `input_ids`.
 */
export function checkKvMetadata(metadata: Record<string, string>, layout: KvLayout, ids: readonly number[]) {
  const bad = (field: string, message: string) =>
    new AppError("kv_metadata_invalid", `__metadata__ ${field}: ${message}`, { field });
  for (const field of ["base_model", "tokenizer_sha256", "dtype", "tokens", "prefix_hashes"]) {
    if (!metadata[field]) throw bad(field, "is missing");
  }
  if (!/^[0-9a-f]{64}$/.test(metadata.tokenizer_sha256!)) {
    throw bad("tokenizer_sha256", `'${metadata.tokenizer_sha256}' is not a hex SHA-256`);
  }
  if (!DTYPE_NAMES[layout.dtype].includes(metadata.dtype!.toLowerCase())) {
    throw bad("dtype", `says '${metadata.dtype}' but the keys and values are ${layout.dtype}`);
  }
  if (metadata.tokens !== String(layout.tokens)) {
    throw bad("tokens", `says ${metadata.tokens} but input_ids holds ${layout.tokens}`);
  }
  let declared: unknown;
  try {
    declared = JSON.parse(metadata.prefix_hashes!);
  } catch {
    throw bad("prefix_hashes", "is not a JSON array of hex SHA-256 strings");
  }
  if (!Array.isArray(declared) || !declared.every((h) => typeof h === "string")) {
    throw bad("prefix_hashes", "is not a JSON array of hex SHA-256 strings");
  }
  const actual = prefixHashes(ids);
  const wrong = actual.findIndex((h, i) => declared[i] !== h);
  if (declared.length !== actual.length || wrong !== -1) {
    throw new AppError(
      "kv_prefix_mismatch",
      wrong !== -1
        ? `prefix hash ${wrong} (tokens ${wrong * PREFIX_CHUNK_TOKENS} to ${Math.min(ids.length, (wrong + 1) * PREFIX_CHUNK_TOKENS)}) does not match input_ids`
        : `__metadata__ lists ${declared.length} prefix hashes; ${ids.length} tokens make ${actual.length}`,
      { field: "prefix_hashes" },
    );
  }
  return metadata as KvMetadata;
}

/** The base model a snapshot is checked against: its name, architecture and tokenizer hash. */
export type BaseModelRef = { name: string; architecture: Architecture; tokenizerSha256: string };

/** Checks that a snapshot was made by this base model (its name, tokenizer, layers, heads, head dim). */
export function checkKvAgainstModel(
  layout: KvLayout,
  metadata: Pick<KvMetadata, "base_model" | "tokenizer_sha256">,
  model: BaseModelRef,
) {
  const mismatch = (message: string) => new AppError("base_model_mismatch", message);
  if (metadata.base_model !== model.name) {
    throw mismatch(`the snapshot was made with '${metadata.base_model}', not '${model.name}'`);
  }
  if (metadata.tokenizer_sha256 !== model.tokenizerSha256) {
    throw mismatch(
      `the snapshot's tokenizer (sha256 ${metadata.tokenizer_sha256.slice(0, 12)}…) is not ${model.name}'s`,
    );
  }
  const arch = model.architecture;
  const checks: [string, number, number][] = [
    ["layers", layout.layers, arch.layers],
    ["kv_heads", layout.kvHeads, arch.kvHeads],
    ["head_dim", layout.headDim, arch.headDim],
  ];
  for (const [what, got, expected] of checks) {
    if (got !== expected) throw mismatch(`the snapshot has ${what} ${got}; ${model.name} has ${expected}`);
  }
}

/** The canonical `__metadata__` of a snapshot of these token ids. */
export function kvMetadata(options: {
  baseModel: string;
  tokenizerSha256: string;
  dtype: FloatDtype;
  ids: readonly number[];
}): KvMetadata {
  return {
    base_model: options.baseModel,
    tokenizer_sha256: options.tokenizerSha256,
    dtype: options.dtype.toLowerCase(),
    tokens: String(options.ids.length),
    prefix_hashes: JSON.stringify(prefixHashes(options.ids)),
  };
}

/** `input_ids` `[1, tokens]` as I64 bytes. */
export function inputIdsTensor(ids: readonly number[]): TensorSource {
  const data = Buffer.alloc(ids.length * 8);
  ids.forEach((id, i) => data.writeBigInt64LE(BigInt(id), i * 8));
  return { name: "input_ids", dtype: "I64", shape: [1, ids.length], data };
}

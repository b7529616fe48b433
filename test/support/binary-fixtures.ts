import { createHash } from "node:crypto";
import {
  inputIdsTensor,
  kvMetadata,
  type LoraConfig,
  LORA_CONFIG_FILE,
  LORA_WEIGHTS_FILE,
  loraKey,
  type TensorSource,
  writeLoraPack,
  writeSafetensors,
  writeTar,
} from "@memstore/formats";
import { DecoderModel } from "@memstore/inference";
import { TINY_DECODER_CONFIG, tinyDecoderTokenizer } from "@memstore/inference/testing";

/**
 * Binary payloads for API tests: a small base model's config and tokenizer, LoRA packs and KV
 * snapshots that fit it (or deliberately do not), with seeded pseudo-random weights.
 */
export const TINY_CONFIG = TINY_DECODER_CONFIG;
export const TINY_TOKENIZER = tinyDecoderTokenizer();
export const TINY_TOKENIZER_SHA256 = createHash("sha256").update(TINY_TOKENIZER).digest("hex");

/** Deterministic values in [-scale, scale). */
export function seeded(count: number, seed: number, scale = 0.1): Float32Array {
  const out = new Float32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

const f32 = (name: string, shape: number[], values: Float32Array): TensorSource => ({
  name,
  dtype: "F32",
  shape,
  data: new Uint8Array(values.buffer),
});

export const LORA_CONFIG: LoraConfig = {
  peft_type: "LORA",
  r: 4,
  lora_alpha: 8,
  target_modules: ["q_proj", "v_proj"],
  base_model_name_or_path: "memstore/tiny-llama",
  use_rslora: false,
  rank_pattern: {},
  alpha_pattern: {},
};

/** LoRA tensors for q_proj and v_proj of every layer; `hidden` other than 32 makes a misfit. */
export function loraTensors(
  options: { hidden?: number; layers?: number; poison?: boolean; seed?: number } = {},
) {
  const hidden = options.hidden ?? 32;
  const tensors: TensorSource[] = [];
  let seed = options.seed ?? 1;
  for (let layer = 0; layer < (options.layers ?? 2); layer++) {
    for (const [module, out] of [
      ["q_proj", hidden],
      ["v_proj", hidden / 2],
    ] as const) {
      const path = `model.layers.${layer}.self_attn.${module}`;
      const a = seeded(4 * hidden, seed++);
      if (options.poison && layer === 1) a[3] = NaN;
      tensors.push(
        f32(loraKey(path, "A"), [4, hidden], a),
        f32(loraKey(path, "B"), [out, 4], seeded(out * 4, seed++)),
      );
    }
  }
  return tensors;
}

export async function bytesOf(stream: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

export const loraPack = (
  options: Parameters<typeof loraTensors>[0] & { config?: Partial<LoraConfig> } = {},
) => bytesOf(writeLoraPack({ ...LORA_CONFIG, ...options.config }, loraTensors(options)));

/** A pack as PEFT saves it beside its model card: config, weights and a README.md in one directory. */
export async function loraPackWithReadme(readme: string) {
  const config = Buffer.from(JSON.stringify(LORA_CONFIG));
  const weights = await bytesOf(writeSafetensors(loraTensors()));
  const card = Buffer.from(readme);
  return bytesOf(
    writeTar([
      { path: `adapter/${LORA_CONFIG_FILE}`, size: config.length, data: config },
      { path: `adapter/${LORA_WEIGHTS_FILE}`, size: weights.length, data: weights },
      { path: "adapter/README.md", size: card.length, data: card },
    ]),
  );
}

export const PROMPT_IDS = Array.from({ length: 40 }, (_, i) => (i * 31 + 7) % 300);

/** A snapshot of PROMPT_IDS in one of the accepted layouts, with random keys and values. */
export function kvSnapshot(
  options: {
    layout?: "canonical" | "cache" | "stacked";
    baseModel?: string;
    layers?: number;
    /** The prompt's token ids (PROMPT_IDS by default). */
    ids?: number[];
  } = {},
) {
  const layers = options.layers ?? 2;
  const ids = options.ids ?? PROMPT_IDS;
  const shape = [1, 2, ids.length, 8];
  const count = 2 * ids.length * 8;
  const values = (layer: number, side: number) => seeded(count, 1000 + layer * 2 + side, 1);
  const tensors: TensorSource[] = [inputIdsTensor(ids)];
  if (options.layout === "stacked") {
    for (const [side, name] of ["key_cache", "value_cache"].entries()) {
      const all = new Float32Array(count * layers);
      for (let l = 0; l < layers; l++) all.set(values(l, side), l * count);
      tensors.push(f32(name, [layers, ...shape], all));
    }
  } else {
    for (let l = 0; l < layers; l++) {
      for (const [side, s] of ["key", "value"].entries()) {
        const name = options.layout === "cache" ? `${s}_cache.${l}` : `past_key_values.${l}.${s}`;
        tensors.push(f32(name, shape, values(l, side)));
      }
    }
  }
  const metadata = kvMetadata({
    baseModel: options.baseModel ?? "memstore/tiny-llama",
    tokenizerSha256: TINY_TOKENIZER_SHA256,
    dtype: "F32",
    ids,
  });
  return bytesOf(writeSafetensors(tensors, { ...metadata }, { keepOrder: true }));
}

/** A snapshot the tiny decoder `onnx` really computed for `ids`: what a publisher's export script writes. */
export async function modelKvSnapshot(onnx: Uint8Array, ids: number[]) {
  const model = await DecoderModel.load(onnx, { layers: 2, kvHeads: 2, headDim: 8, vocabSize: 300 });
  const { present } = await model.forward(ids);
  await model.close();
  const tensors: TensorSource[] = [inputIdsTensor(ids)];
  present.layers.forEach((layer, l) => {
    for (const side of ["key", "value"] as const) {
      tensors.push(f32(`past_key_values.${l}.${side}`, [1, 2, ids.length, 8], layer[side]));
    }
  });
  const metadata = kvMetadata({
    baseModel: "memstore/tiny-llama",
    tokenizerSha256: TINY_TOKENIZER_SHA256,
    dtype: "F32",
    ids,
  });
  return bytesOf(writeSafetensors(tensors, { ...metadata }));
}

import { AppError } from "@memstore/core";
import { type FloatDtype, isFloatDtype } from "./dtype.ts";
import {
  type Dtype,
  DTYPE_SIZES,
  elementsOf,
  type SafetensorsHeader,
  type TensorInfo,
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

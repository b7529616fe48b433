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
  const inputIds = checkedInputIds(header);
  const { parts, variant } = canonicalParts(header);
  const first = checkedShapes(parts, inputIds);
  const layers = parts.length / 2;
  checkEveryLayer(parts, layers);
  parts.push({ ...inputIds, source: "input_ids" });
  parts.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    variant,
    layers,
    kvHeads: first.shape[1]!,
    tokens: inputIds.shape[1]!,
    headDim: first.shape[3]!,
    dtype: first.dtype as FloatDtype,
    inputIds: { ...inputIds, dtype: inputIds.dtype },
    parts,
  };
}

type Tensor = SafetensorsHeader["tensors"][number];

function checkedInputIds(header: SafetensorsHeader): Tensor & { dtype: "I64" | "I32" } {
  const inputIds = header.tensors.find((t) => t.name === "input_ids");
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
  return { ...inputIds, dtype: inputIds.dtype };
}

/** Every key and value tensor under its canonical name, in one layout only; no name twice. */
function canonicalParts(header: SafetensorsHeader): { parts: KvPart[]; variant: KvLayout["variant"] } {
  const parts: KvPart[] = [];
  let variant: KvLayout["variant"] | null = null;
  for (const t of header.tensors) {
    if (t.name === "input_ids") continue;
    const found = perLayerPart(t) ?? stackedParts(t);
    if (!found) {
      throw layoutError(
        `tensor '${t.name}' is not part of a KV snapshot (past_key_values.{i}.key/value, key_cache.{i}/value_cache.{i}, or stacked key_cache/value_cache, and input_ids)`,
        t.name,
      );
    }
    if (variant && variant !== found.variant) {
      throw layoutError(`'${t.name}' mixes the ${found.variant} layout with the ${variant} layout`, t.name);
    }
    variant = found.variant;
    parts.push(...found.parts);
  }
  if (parts.length === 0 || !variant) throw layoutError("the snapshot holds no key or value tensors");
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) throw layoutError(`'${p.source}' gives ${p.name} a second time`, p.source);
    names.add(p.name);
  }
  return { parts, variant };
}

/** One layer's key or value, named per layer (`past_key_values.{i}.key`, `key_cache.{i}`). */
function perLayerPart(t: Tensor): { parts: KvPart[]; variant: KvLayout["variant"] } | null {
  const perLayer = PER_LAYER.map(([re]) => re.exec(t.name)).find(Boolean);
  if (!perLayer) return null;
  const canonical = perLayer[0].startsWith("past_key_values.");
  const layer = Number(canonical ? perLayer[1] : perLayer[2]);
  const side = (canonical ? perLayer[2] : perLayer[1]) as "key" | "value";
  return {
    parts: [{ ...t, name: canonicalName(layer, side), source: t.name }],
    variant: canonical ? "canonical" : "cache",
  };
}

/** Every layer's key or value stacked in one tensor ([layers, 1, kv_heads, tokens, head_dim]), cut per layer. */
function stackedParts(t: Tensor): { parts: KvPart[]; variant: KvLayout["variant"] } | null {
  const side = STACKED[t.name];
  if (!side) return null;
  if (t.shape.length !== 5) {
    throw layoutError(
      `stacked tensor '${t.name}' has shape ${JSON.stringify(t.shape)}; expected [layers, 1, kv_heads, tokens, head_dim]`,
      t.name,
    );
  }
  const [layers, ...shape] = t.shape as [number, ...number[]];
  const bytes = elementsOf(shape) * DTYPE_SIZES[t.dtype];
  const parts = Array.from({ length: layers }, (_, i) => ({
    name: canonicalName(i, side),
    dtype: t.dtype,
    shape,
    source: t.name,
    begin: t.begin + i * bytes,
    end: t.begin + (i + 1) * bytes,
  }));
  return { parts, variant: "stacked" };
}

/** Every part a float [1, kv_heads, tokens, head_dim] like the first, over input_ids' tokens; returns the first. */
function checkedShapes(parts: KvPart[], inputIds: Tensor): KvPart {
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
  return first;
}

function checkEveryLayer(parts: KvPart[], layers: number) {
  for (let i = 0; i < layers; i++) {
    for (const side of ["key", "value"] as const) {
      if (!parts.some((p) => p.name === canonicalName(i, side))) {
        throw layoutError(
          `layer ${i} has no ${side} (the snapshot's ${parts.length} key/value tensors should cover layers 0 to ${Math.ceil(layers) - 1})`,
        );
      }
    }
  }
}

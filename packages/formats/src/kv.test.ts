import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { architectureOf } from "./architecture.ts";
import { kvLayout } from "./kv.ts";
import {
  checkKvAgainstModel,
  checkKvMetadata,
  inputIdsTensor,
  kvMetadata,
  prefixHashes,
  tokenIds,
} from "./kv-metadata.ts";
import { openSafetensors, readAllTensors } from "./safetensors.ts";
import { type TensorSource, writeSafetensors } from "./safetensors-writer.ts";

const MODEL = {
  name: "memstore/tiny-llama",
  tokenizerSha256: createHash("sha256").update("tokenizer").digest("hex"),
  architecture: architectureOf({
    num_hidden_layers: 2,
    hidden_size: 32,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 64,
    vocab_size: 300,
  }),
};
const IDS = Array.from({ length: 600 }, (_, i) => (i * 7) % 300);
const HEADS = 2;
const HEAD_DIM = 8;

/** Deterministic F32 values: layer, side and position are recoverable from each one. */
const values = (layer: number, side: number, count: number) =>
  Buffer.from(
    new Float32Array(Array.from({ length: count }, (_, i) => layer * 1000 + side * 100 + (i % 97))).buffer,
  );

async function file(tensors: TensorSource[], metadata: Record<string, string>) {
  const parts: Uint8Array[] = [];
  for await (const p of writeSafetensors(tensors, metadata, { keepOrder: true })) parts.push(p);
  return Buffer.concat(parts);
}

async function headerOf(bytes: Buffer) {
  return (await openSafetensors([bytes], bytes.length)).header;
}

const perLayer = HEADS * IDS.length * HEAD_DIM;
const meta = () => ({
  ...kvMetadata({ baseModel: MODEL.name, tokenizerSha256: MODEL.tokenizerSha256, dtype: "F32", ids: IDS }),
});

/** The same snapshot in each accepted layout. */
async function snapshot(
  variant: "canonical" | "cache" | "stacked",
  metadata: Record<string, string> = meta(),
) {
  const shape = [1, HEADS, IDS.length, HEAD_DIM];
  const tensors: TensorSource[] = [inputIdsTensor(IDS)];
  if (variant === "stacked") {
    for (const [side, name] of ["key_cache", "value_cache"].entries()) {
      tensors.push({
        name,
        dtype: "F32",
        shape: [2, ...shape],
        data: Buffer.concat([values(0, side, perLayer), values(1, side, perLayer)]),
      });
    }
  } else {
    for (const layer of [0, 1]) {
      for (const [side, s] of ["key", "value"].entries()) {
        const name = variant === "canonical" ? `past_key_values.${layer}.${s}` : `${s}_cache.${layer}`;
        tensors.push({ name, dtype: "F32", shape, data: values(layer, side, perLayer) });
      }
    }
  }
  return file(tensors, metadata);
}

const failure = async (fn: () => unknown) => {
  try {
    await fn();
    return "ok";
  } catch (error) {
    const e = error as { code: string; message: string };
    return `${e.code}: ${e.message}`;
  }
};

describe("KV snapshots", () => {
  it("maps every accepted layout to the same canonical tensors, byte for byte", async () => {
    const canonical = await readAllTensors([await snapshot("canonical")]);
    for (const variant of ["cache", "stacked"] as const) {
      const bytes = await snapshot(variant);
      const header = await headerOf(bytes);
      const layout = kvLayout(header);
      expect(layout).toMatchObject({
        variant,
        layers: 2,
        kvHeads: HEADS,
        tokens: IDS.length,
        headDim: HEAD_DIM,
        dtype: "F32",
      });
      expect(layout.parts.map((p) => p.name)).toEqual([
        "input_ids",
        "past_key_values.0.key",
        "past_key_values.0.value",
        "past_key_values.1.key",
        "past_key_values.1.value",
      ]);
      for (const part of layout.parts) {
        const slice = bytes.subarray(header.dataStart + part.begin, header.dataStart + part.end);
        expect(slice.equals(canonical.tensors.get(part.name)!.data), `${variant} ${part.name}`).toBe(true);
      }
    }
  });

  it("chains prefix hashes over 256-token chunks, so a longer prompt shares a shorter one's", () => {
    const hashes = prefixHashes(IDS);
    expect(hashes).toHaveLength(3);
    expect(prefixHashes(IDS.slice(0, 512))).toEqual(hashes.slice(0, 2));
    expect(prefixHashes([...IDS.slice(0, 255), 1])[0]).not.toBe(hashes[0]);
    const ids = tokenIds(inputIdsTensor(IDS).data as Buffer, "I64");
    expect(ids).toEqual(IDS);
  });

  it("checks metadata against the tensors: dtype, token count, prefix hashes", async () => {
    const layout = kvLayout(await headerOf(await snapshot("canonical")));
    expect(await failure(() => checkKvMetadata(meta(), layout, IDS))).toBe("ok");
    expect(await failure(() => checkKvMetadata({ ...meta(), dtype: "bf16" }, layout, IDS))).toBe(
      "kv_metadata_invalid: __metadata__ dtype: says 'bf16' but the keys and values are F32",
    );
    expect(await failure(() => checkKvMetadata({ ...meta(), tokens: "10" }, layout, IDS))).toBe(
      "kv_metadata_invalid: __metadata__ tokens: says 10 but input_ids holds 600",
    );
    const { base_model: _, ...noModel } = meta();
    expect(await failure(() => checkKvMetadata(noModel as never, layout, IDS))).toBe(
      "kv_metadata_invalid: __metadata__ base_model: is missing",
    );
    const other = IDS.map((id, i) => (i === 300 ? id + 1 : id));
    expect(await failure(() => checkKvMetadata(meta(), layout, other))).toBe(
      "kv_prefix_mismatch: prefix hash 1 (tokens 256 to 512) does not match input_ids",
    );
  });

  it("refuses a snapshot made by another model, and broken layouts, naming the tensor", async () => {
    const layout = kvLayout(await headerOf(await snapshot("canonical")));
    const metadata = checkKvMetadata(meta(), layout, IDS);
    expect(await failure(() => checkKvAgainstModel(layout, metadata, MODEL))).toBe("ok");
    expect(
      await failure(() => checkKvAgainstModel(layout, { ...metadata, base_model: "other/7b" }, MODEL)),
    ).toBe("base_model_mismatch: the snapshot was made with 'other/7b', not 'memstore/tiny-llama'");
    const bigger = { ...MODEL, architecture: { ...MODEL.architecture, layers: 4 } };
    expect(await failure(() => checkKvAgainstModel(layout, metadata, bigger))).toBe(
      "base_model_mismatch: the snapshot has layers 2; memstore/tiny-llama has 4",
    );

    const shape = [1, HEADS, IDS.length, HEAD_DIM];
    const layer = (name: string, s = shape): TensorSource => ({
      name,
      dtype: "F32",
      shape: s,
      data: Buffer.alloc(s.reduce((a, b) => a * b) * 4),
    });
    const broken = async (tensors: TensorSource[]) =>
      failure(async () => kvLayout(await headerOf(await file(tensors, {}))));
    expect(
      await broken([
        inputIdsTensor(IDS),
        layer("past_key_values.0.key"),
        layer("past_key_values.0.value"),
        layer("past_key_values.1.key"),
      ]),
    ).toBe(
      "kv_layout_invalid: layer 1 has no value (the snapshot's 3 key/value tensors should cover layers 0 to 1)",
    );
    expect(
      await broken([
        inputIdsTensor(IDS),
        layer("past_key_values.0.key"),
        layer("past_key_values.0.value", [1, HEADS, 10, HEAD_DIM]),
      ]),
    ).toBe(
      "kv_layout_invalid: 'past_key_values.0.value' (past_key_values.0.value) is F32 [1,2,10,8], unlike 'past_key_values.0.key' (F32 [1,2,600,8])",
    );
    expect(await broken([layer("past_key_values.0.key"), layer("past_key_values.0.value")])).toBe(
      "kv_layout_invalid: the snapshot has no 'input_ids' tensor ([1, tokens], I64 or I32)",
    );
    expect(await broken([inputIdsTensor(IDS), layer("past_key_values.0.key"), layer("key_cache.0")])).toBe(
      "kv_layout_invalid: 'key_cache.0' mixes the cache layout with the canonical layout",
    );
  });
});

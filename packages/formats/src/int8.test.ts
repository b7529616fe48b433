import { describe, expect, it } from "vitest";
import { bytesOfFloats, floatsOf } from "./dtype.ts";
import { channelScales, dequantizeInt8, INT8_SCALE_SUFFIX, int8Snapshot } from "./int8.ts";
import { inputIdsTensor, kvMetadata } from "./kv-metadata.ts";
import { openSafetensors, readAllTensors, type TensorInfo } from "./safetensors.ts";
import { writeSafetensors } from "./safetensors-writer.ts";

const HEADS = 2;
const TOKENS = 300;
const DIM = 8;
const SHAPE = [1, HEADS, TOKENS, DIM];

/** Seeded values with one outlier channel (head 1, dim 3) 50× the rest, as real keys have. */
function cache(seed: number) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const values = new Float32Array(HEADS * TOKENS * DIM);
  for (let h = 0; h < HEADS; h++) {
    for (let t = 0; t < TOKENS; t++) {
      for (let d = 0; d < DIM; d++) {
        values[(h * TOKENS + t) * DIM + d] = random() * (h === 1 && d === 3 ? 50 : 1);
      }
    }
  }
  return values;
}

async function bytesOf(stream: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}

const ids = Array.from({ length: TOKENS }, (_, i) => i % 256);
const key = cache(1);
const value = cache(2);
// A channel of zeros keeps scale 1 and comes back as zeros.
value.fill(0, 0, DIM);
for (let t = 0; t < TOKENS; t++) value[t * DIM + 5] = 0;

async function snapshotFile(dtype: "F32" | "F16") {
  const asBytes = (v: Float32Array) => bytesOfFloats(Float32Array.from(v), dtype);
  return bytesOf(
    writeSafetensors(
      [
        inputIdsTensor(ids),
        { name: "past_key_values.0.key", dtype, shape: SHAPE, data: asBytes(key) },
        { name: "past_key_values.0.value", dtype, shape: SHAPE, data: asBytes(value) },
      ],
      kvMetadata({ baseModel: "m", tokenizerSha256: "00", dtype, ids }),
    ),
  );
}

async function quantize(file: Buffer) {
  const { header } = await openSafetensors([file], file.length);
  const read = async function* (t: TensorInfo) {
    yield file.subarray(header.dataStart + t.begin, header.dataStart + t.end);
  };
  const { stream, error } = int8Snapshot(header, read);
  const out = await bytesOf(stream);
  return { out, error: error(), tensors: (await readAllTensors([out], out.length)).tensors };
}

describe("int8 KV snapshots", () => {
  it("stores I8 values and per-channel F32 scales, input_ids and metadata kept", async () => {
    const { out, tensors } = await quantize(await snapshotFile("F32"));
    const { metadata } = await readAllTensors([out], out.length);
    expect(metadata.dtype).toBe("int8");
    expect(metadata.tokens).toBe(String(TOKENS));
    expect(tensors.get("input_ids")!.dtype).toBe("I64");
    expect(tensors.get("past_key_values.0.key")).toMatchObject({ dtype: "I8", shape: SHAPE });
    expect(tensors.get("past_key_values.0.key" + INT8_SCALE_SUFFIX)).toMatchObject({
      dtype: "F32",
      shape: [1, HEADS, 1, DIM],
    });
    // The cache's bytes shrink to about a quarter; input_ids (I64) stay as they were.
    const f32 = await snapshotFile("F32");
    expect(f32.length - out.length).toBeGreaterThan(2 * HEADS * TOKENS * DIM * 3 - 2 * HEADS * DIM * 4 - 400);
  });

  it("each value comes back within half a step of its channel, and the report's error is the real one", async () => {
    const { error, tensors } = await quantize(await snapshotFile("F32"));
    let squares = 0;
    let errors = 0;
    let maxAbs = 0;
    for (const [name, original] of [
      ["past_key_values.0.key", key],
      ["past_key_values.0.value", value],
    ] as const) {
      const q = tensors.get(name)!.data;
      const scales = floatsOf(tensors.get(name + INT8_SCALE_SUFFIX)!.data, "F32");
      const back = dequantizeInt8(new Int8Array(q.buffer, q.byteOffset, q.length), scales, SHAPE);
      for (let i = 0; i < original.length; i++) {
        const channel = Math.floor(i / (TOKENS * DIM)) * DIM + (i % DIM);
        const e = Math.abs(original[i]! - back[i]!);
        expect(e).toBeLessThanOrEqual(scales[channel]! / 2 + 1e-6);
        squares += original[i]! ** 2;
        errors += e * e;
        maxAbs = Math.max(maxAbs, e);
      }
      // The zero channels stay exactly zero.
      if (original === value) for (let t = 0; t < TOKENS; t++) expect(back[t * DIM + 5]).toBe(0);
    }
    expect(error.relative_rms_error).toBeCloseTo(Math.sqrt(errors / squares), 6);
    expect(error.max_abs_error).toBeCloseTo(maxAbs, 5);
    expect(error.snr_db).toBeGreaterThan(30);
    expect(error.elements).toBe(2 * HEADS * TOKENS * DIM);
    expect(error.bytes_ratio).toBeLessThan(0.27);
  });

  it("per-channel scales keep the small channels precise beside an outlier channel", async () => {
    const scales = await channelScales([key], SHAPE);
    expect(scales[1 * DIM + 3]! / scales[0]!).toBeGreaterThan(30);
    // One scale for the whole tensor would make every ordinary channel's step 50× coarser.
    const perTensor = Math.max(...key.map(Math.abs)) / 127;
    const ordinary = key.filter((_, i) => !(Math.floor(i / (TOKENS * DIM)) === 1 && i % DIM === 3));
    const { error } = await quantize(await snapshotFile("F32"));
    const perTensorError = Math.sqrt(
      ordinary.reduce((a, x) => a + (x - Math.round(x / perTensor) * perTensor) ** 2, 0) / ordinary.length,
    );
    expect(error.max_abs_error).toBeLessThan(perTensor / 2);
    expect(perTensorError).toBeGreaterThan(perTensor / 4);
  });

  it("quantises f16 snapshots too", async () => {
    const { error, tensors } = await quantize(await snapshotFile("F16"));
    expect(tensors.get("past_key_values.0.value")!.dtype).toBe("I8");
    expect(error.snr_db).toBeGreaterThan(30);
    expect(error.bytes_ratio).toBeLessThan(0.55);
  });
});

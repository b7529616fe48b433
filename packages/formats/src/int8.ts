import type { ByteSource } from "./byte-reader.ts";
import { type FloatDtype, floatsOf, isFloatDtype, wholeElements } from "./dtype.ts";
import { DTYPE_SIZES, elementsOf, type SafetensorsHeader, type TensorInfo } from "./safetensors.ts";
import { type TensorSource, writeSafetensors } from "./safetensors-writer.ts";

/**
 * Int8 KV snapshots with per-channel scales. A `[1, kv_heads, tokens, head_dim]` tensor is stored as
 * I8 values q under its own name and its scales under `<name>.scale`, F32 `[1, kv_heads, 1, head_dim]`:
 * each channel (head, dim) has scale = max |x| over its tokens / 127, q = round(x / scale), and a
 * consumer reads x ≈ q · scale. Keys have a few channels far larger than the rest (the outlier
 * channels rotary attention makes), which is why the scale is per channel, not per tensor.
 * Two passes over each tensor (its scales, then its values): memory holds a chunk and the scales.
 */
export const INT8_SCALE_SUFFIX = ".scale";
export const INT8_QUANTIZATION = "int8 symmetric, per channel (kv head, head_dim): x = q * scale";

/** How far the dequantised values are from the originals, over every quantised tensor. */
export type Int8Error = {
  /** ‖x − q·scale‖ / ‖x‖. */
  relative_rms_error: number;
  max_abs_error: number;
  /** 10·log₁₀(‖x‖² / ‖x − q·scale‖²). */
  snr_db: number;
  elements: number;
  bytes_ratio: number;
};

/** Blocks of f32 values of a float tensor's bytes. */
async function* floatBlocks(bytes: ByteSource, dtype: FloatDtype): AsyncGenerator<Float32Array> {
  for await (const block of wholeElements(bytes, DTYPE_SIZES[dtype])) yield floatsOf(block, dtype);
}

/**
 * The channel (head · dim + d) of each element of a `[1, heads, tokens, dim]` tensor in turn,
 * counted without a division per element (the values stream by in order).
 */
function channelWalker(shape: readonly number[]) {
  const [, , tokens, dim] = shape as [number, number, number, number];
  let head = 0;
  let token = 0;
  let d = 0;
  return () => {
    const channel = head * dim + d;
    if (++d === dim) {
      d = 0;
      if (++token === tokens) {
        token = 0;
        head++;
      }
    }
    return channel;
  };
}

/** Per-channel scales (max |x| / 127; 1 for an all-zero channel) of a `[1, heads, tokens, dim]` tensor. */
export async function channelScales(
  values: AsyncIterable<Float32Array> | Iterable<Float32Array>,
  shape: readonly number[],
): Promise<Float32Array> {
  const [, heads, , dim] = shape as [number, number, number, number];
  const max = new Float32Array(heads * dim);
  const channel = channelWalker(shape);
  for await (const block of values) {
    for (let i = 0; i < block.length; i++) {
      const c = channel();
      const abs = Math.abs(block[i]!);
      if (abs > max[c]!) max[c] = abs;
    }
  }
  return max.map((m) => (m > 0 ? m / 127 : 1));
}

/** Running sums for `Int8Error`. */
class ErrorSums {
  squares = 0;
  errors = 0;
  maxAbs = 0;
  elements = 0;
  sourceBytes = 0;
  int8Bytes = 0;
  add(x: number, back: number) {
    const e = x - back;
    this.squares += x * x;
    this.errors += e * e;
    if (Math.abs(e) > this.maxAbs) this.maxAbs = Math.abs(e);
  }
  result(): Int8Error {
    return {
      relative_rms_error: this.squares > 0 ? Math.sqrt(this.errors / this.squares) : 0,
      max_abs_error: this.maxAbs,
      snr_db: this.errors > 0 ? 10 * Math.log10(this.squares / this.errors) : Infinity,
      elements: this.elements,
      bytes_ratio: this.sourceBytes > 0 ? this.int8Bytes / this.sourceBytes : 1,
    };
  }
}

async function* quantizedValues(
  values: AsyncIterable<Float32Array>,
  shape: readonly number[],
  scales: Float32Array,
  sums: ErrorSums,
): AsyncGenerator<Uint8Array> {
  const channel = channelWalker(shape);
  for await (const block of values) {
    const out = new Int8Array(block.length);
    for (let i = 0; i < block.length; i++) {
      const scale = scales[channel()]!;
      const q = Math.max(-127, Math.min(127, Math.round(block[i]! / scale)));
      out[i] = q;
      sums.add(block[i]!, q * scale);
    }
    sums.elements += block.length;
    yield new Uint8Array(out.buffer);
  }
}

/**
 * The int8 form of a canonical KV snapshot as a safetensors stream; `error()` is its reconstruction
 * error once the stream has been read to the end. `read` opens a tensor's bytes (called twice per
 * float tensor). `input_ids` and the metadata are kept; `dtype` becomes `int8`.
 */
export function int8Snapshot(header: SafetensorsHeader, read: (t: TensorInfo) => AsyncIterable<Uint8Array>) {
  const sums = new ErrorSums();
  const scales = new Map<string, Promise<Float32Array>>();
  const scalesOf = (t: TensorInfo) => {
    if (!scales.has(t.name)) {
      scales.set(t.name, channelScales(floatBlocks(read(t), t.dtype as FloatDtype), t.shape));
    }
    return scales.get(t.name)!;
  };
  const tensors: TensorSource[] = header.tensors.flatMap((t): TensorSource[] => {
    if (!isFloatDtype(t.dtype)) return [{ ...t, data: read(t) }];
    const [, heads, , dim] = t.shape as [number, number, number, number];
    return [
      {
        name: t.name,
        dtype: "I8",
        shape: t.shape,
        data: (async function* () {
          const s = await scalesOf(t);
          sums.sourceBytes += t.end - t.begin;
          sums.int8Bytes += elementsOf(t.shape) + s.byteLength;
          yield* quantizedValues(floatBlocks(read(t), t.dtype as FloatDtype), t.shape, s, sums);
        })(),
      },
      {
        name: t.name + INT8_SCALE_SUFFIX,
        dtype: "F32",
        shape: [1, heads, 1, dim],
        data: (async function* () {
          const s = await scalesOf(t);
          yield new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
        })(),
      },
    ];
  });
  const metadata = { ...header.metadata, dtype: "int8", "memstore.quantization": INT8_QUANTIZATION };
  return { stream: writeSafetensors(tensors, metadata), error: () => sums.result() };
}

/** x = q · scale for an int8 tensor and its per-channel scales (`[1, heads, tokens, dim]`). */
export function dequantizeInt8(q: Int8Array, scales: Float32Array, shape: readonly number[]): Float32Array {
  const channel = channelWalker(shape);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i]! * scales[channel()]!;
  return out;
}

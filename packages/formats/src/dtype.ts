import { endianness } from "node:os";
import { AppError } from "@memstore/core";
import type { ByteSource } from "./byte-reader.ts";
import { DTYPE_SIZES, type Dtype, openSafetensors } from "./safetensors.ts";
import { type TensorSource, writeSafetensors } from "./safetensors-writer.ts";

/**
 * Floating-point dtype conversion, f32 ↔ f16 ↔ bf16: round to nearest, ties to even; NaN stays NaN
 * (quiet, sign kept), ±Inf stays ±Inf, f16 subnormals are produced and read exactly, and values too
 * large for f16 become ±Inf. Bit-level, on 32-bit words, as numpy and PyTorch do it.
 */
if (endianness() !== "LE")
  throw new Error("@memstore/formats reads little-endian tensors on a little-endian host only");

export type FloatDtype = "F32" | "F16" | "BF16";
export const FLOAT_DTYPES: readonly FloatDtype[] = ["F32", "F16", "BF16"];
export const isFloatDtype = (d: Dtype): d is FloatDtype => (FLOAT_DTYPES as readonly string[]).includes(d);

/** A tensor's dtype where only a float one makes sense (checked earlier, so a mismatch is a bug). */
export function floatDtypeOf(tensor: { name: string; dtype: Dtype }): FloatDtype {
  if (!isFloatDtype(tensor.dtype)) throw new Error(`${tensor.name} is ${tensor.dtype}, not a float tensor`);
  return tensor.dtype;
}

/** f32 bits → f16 bits (numpy's npy_floatbits_to_halfbits). */
export function f32BitsToF16(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = f & 0x7f800000;
  if (exp >= 0x47800000) {
    if (exp === 0x7f800000) {
      const sig = f & 0x007fffff;
      if (sig !== 0) {
        // NaN: the top of its payload, never zero (that would read as Inf), quiet bit set.
        return sign | 0x7c00 | 0x0200 | (sig >>> 13);
      }
      return sign | 0x7c00;
    }
    return sign | 0x7c00; // too large: ±Inf
  }
  if (exp <= 0x38000000) {
    // f16 subnormal, or zero.
    if (exp < 0x33000000) return sign;
    const e = exp >>> 23;
    let sig = 0x00800000 + (f & 0x007fffff);
    const lost = sig & ((1 << (113 - e)) - 1);
    sig >>>= 113 - e;
    // Ties to even: add half unless exactly half with an even result (bits shifted out count).
    if ((sig & 0x3fff) !== 0x1000 || lost !== 0) sig += 0x1000;
    return sign | (sig >>> 13);
  }
  const hExp = (exp - 0x38000000) >>> 13;
  let sig = f & 0x007fffff;
  if ((sig & 0x3fff) !== 0x1000) sig += 0x1000;
  // A carry out of the significand raises the exponent, up to Inf: the right answer.
  return sign | ((hExp + (sig >>> 13)) & 0x7fff);
}

/** f16 bits → f32 bits, exact. */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = h & 0x7c00;
  const sig = h & 0x03ff;
  if (exp === 0) {
    if (sig === 0) return sign >>> 0;
    // Subnormal: normalise.
    let s = sig << 1;
    let e = 0;
    while ((s & 0x0400) === 0) {
      s <<= 1;
      e++;
    }
    return (sign | ((127 - 15 - e) << 23) | ((s & 0x03ff) << 13)) >>> 0;
  }
  if (exp === 0x7c00) return (sign | 0x7f800000 | (sig << 13)) >>> 0;
  return (sign | (((h & 0x7fff) + 0x1c000) << 13)) >>> 0;
}

/** f32 bits → bf16 bits: round to nearest even; NaN made quiet. */
export function f32BitsToBf16(f: number): number {
  if ((f & 0x7fffffff) > 0x7f800000) return ((f >>> 16) | 0x0040) & 0xffff;
  // Rounded in two halves, so every step stays a small integer (no doubles in the hot loop).
  const high = f >>> 16;
  return (high + (((f & 0xffff) + 0x7fff + (high & 1)) >>> 16)) & 0xffff;
}

export const bf16BitsToF32 = (b: number): number => (b << 16) >>> 0;

/** Converts whole elements; `input` holds a multiple of the source element size, aligned. */
function convertBlock(input: Uint8Array, from: FloatDtype, to: FloatDtype): Uint8Array {
  const count = input.length / DTYPE_SIZES[from];
  const words = new Uint32Array(count);
  if (from === "F32") words.set(new Uint32Array(input.buffer, input.byteOffset, count));
  else {
    const halves = new Uint16Array(input.buffer, input.byteOffset, count);
    const widen = from === "F16" ? f16BitsToF32 : bf16BitsToF32;
    for (let i = 0; i < count; i++) words[i] = widen(halves[i]!);
  }
  if (to === "F32") return new Uint8Array(words.buffer);
  const out = new Uint16Array(count);
  // One loop per target, each calling one function: the JIT inlines it.
  if (to === "F16") for (let i = 0; i < count; i++) out[i] = f32BitsToF16(words[i]!);
  else for (let i = 0; i < count; i++) out[i] = f32BitsToBf16(words[i]!);
  return new Uint8Array(out.buffer);
}

/**
 * Re-blocks a byte stream into fresh, aligned blocks of whole `size`-byte elements (typed arrays need
 * their offset to be a multiple of the element size): memory holds one chunk and the few bytes of an
 * element cut between two chunks.
 */
export async function* wholeElements(
  chunks: ByteSource,
  size: number,
  what = "element",
): AsyncGenerator<Uint8Array> {
  let carry = new Uint8Array(0);
  for await (const chunk of chunks) {
    const total = carry.length + chunk.length;
    const whole = total - (total % size);
    if (whole === 0) {
      carry = Buffer.concat([carry, chunk]);
      continue;
    }
    const block = new Uint8Array(whole);
    block.set(carry.subarray(0, Math.min(carry.length, whole)));
    if (carry.length < whole) block.set(chunk.subarray(0, whole - carry.length), carry.length);
    carry = Buffer.from(chunk.subarray(whole - carry.length));
    yield block;
  }
  if (carry.length > 0) {
    throw new AppError(
      "safetensors_byte_length",
      `the data ends inside a ${what} (${carry.length} bytes left)`,
    );
  }
}

/** Converts a stream of `from` elements to `to`, chunk by chunk, in constant memory. */
export async function* convertFloats(
  chunks: ByteSource,
  from: FloatDtype,
  to: FloatDtype,
): AsyncGenerator<Uint8Array> {
  if (from === to) {
    yield* chunks;
    return;
  }
  for await (const block of wholeElements(chunks, DTYPE_SIZES[from], `${from} element`)) {
    yield convertBlock(block, from, to);
  }
}

/**
 * A safetensors stream with its floating-point tensors converted to `to` (those `select` picks;
 * integer tensors pass through), in the source's order, metadata kept (with `dtype` set).
 */
export async function* convertSafetensors(
  source: ByteSource,
  size: number | null,
  to: FloatDtype,
  select: (name: string) => boolean = () => true,
): AsyncGenerator<Uint8Array> {
  const { header, tensors } = await openSafetensors(source, size);
  const targetOf = (t: { name: string; dtype: Dtype }): Dtype =>
    isFloatDtype(t.dtype) && select(t.name) ? to : t.dtype;
  const iterator = tensors();
  // The writer reads each tensor's data in order; each comes from the next tensor of the source.
  const sources: TensorSource[] = header.tensors.map((info) => ({
    name: info.name,
    dtype: targetOf(info),
    shape: info.shape,
    data: (async function* () {
      const next = await iterator.next();
      if (next.done) throw new Error(`the source ended before tensor '${info.name}'`);
      const t = next.value;
      yield* targetOf(t) === t.dtype ? t.chunks : convertFloats(t.chunks, t.dtype as FloatDtype, to);
    })(),
  }));
  const metadata = {
    ...header.metadata,
    ...(header.metadata.dtype !== undefined ? { dtype: to.toLowerCase() } : {}),
  };
  yield* writeSafetensors(sources, metadata, { keepOrder: true });
  // The source's end is checked: nothing may follow the last tensor.
  await iterator.next();
}

/** A block of whole `dtype` elements as f32 values. */
export function floatsOf(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  // A fresh copy is aligned, as typed arrays need.
  const f32 = dtype === "F32" ? Uint8Array.from(bytes) : convertBlock(Uint8Array.from(bytes), dtype, "F32");
  return new Float32Array(f32.buffer, f32.byteOffset, f32.length / 4);
}

/** f32 values as `dtype` bytes (round to nearest even). */
export function bytesOfFloats(values: Float32Array, dtype: FloatDtype): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return dtype === "F32" ? bytes : convertBlock(bytes, "F32", dtype);
}

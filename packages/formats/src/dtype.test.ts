import { describe, expect, it } from "vitest";
import {
  bf16BitsToF32,
  convertFloats,
  convertSafetensors,
  f16BitsToF32,
  f32BitsToBf16,
  f32BitsToF16,
} from "./dtype.ts";
import { readAllTensors } from "./safetensors.ts";
import { writeSafetensors } from "./safetensors-writer.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (v: number) => ((f32[0] = v), u32[0]!);
const valueOf = (bits: number) => ((u32[0] = bits), f32[0]!);

/** An f16's value from its definition, independently of the converter. */
function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

// Every finite f16, ascending, for finding the nearest by search.
const FINITE = Array.from({ length: 0x7c00 }, (_, h) => h).flatMap((h) => (h === 0 ? [0] : [h, h | 0x8000]));
FINITE.sort((a, b) => f16Value(a) - f16Value(b));

/** The f16 nearest v, ties to the even significand; beyond the largest by half an ulp, Inf. */
function nearestF16(v: number): number {
  if (Math.abs(v) >= 65520) return v > 0 ? 0x7c00 : 0xfc00;
  let lo = 0;
  let hi = FINITE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (f16Value(FINITE[mid]!) <= v) lo = mid;
    else hi = mid;
  }
  const [a, b] = [FINITE[lo]!, FINITE[hi]!];
  const da = Math.abs(v - f16Value(a));
  const db = Math.abs(f16Value(b) - v);
  const pick = da < db ? a : db < da ? b : (a & 1) === 0 ? a : b;
  // Zero keeps the sign of the value.
  return f16Value(pick) === 0 ? (Object.is(v, -0) || v < 0 ? 0x8000 : 0) : pick;
}

function randomF32(random: () => number): number {
  // Exponents across the whole f16 range and beyond, and random significands.
  const exp = Math.floor(random() * 60) - 30;
  return (random() < 0.5 ? -1 : 1) * 2 ** exp * (1 + random());
}

function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("f16 conversion", () => {
  it("reads every f16 exactly and writes it back unchanged (NaN as NaN)", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = valueOf(f16BitsToF32(h));
      const expected = f16Value(h);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(v)).toBe(true);
        expect(f32BitsToF16(f16BitsToF32(h)) & 0x7c00).toBe(0x7c00);
        expect(f32BitsToF16(f16BitsToF32(h)) & 0x3ff).not.toBe(0);
      } else {
        expect(v).toBe(expected);
        expect(f32BitsToF16(f16BitsToF32(h))).toBe(h);
      }
    }
  });

  it("rounds to the nearest f16, ties to even, across normal, subnormal and overflowing values", () => {
    const edge = [
      65504,
      65519.99,
      65520,
      1e9,
      -1e9,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      2 ** -24,
      2 ** -25,
      2 ** -25 * 1.0001,
      3 * 2 ** -25,
      2 ** -14,
      2 ** -14 - 2 ** -25,
      1e-10,
      -1e-10,
      0,
      -0,
    ];
    const random = seeded(3);
    const values = [...edge, ...Array.from({ length: 100_000 }, () => randomF32(random))];
    for (const raw of values) {
      const v = valueOf(bitsOf(raw)); // the f32 the file would hold
      expect(f32BitsToF16(bitsOf(v)), `${v}`).toBe(nearestF16(v));
    }
    expect(f32BitsToF16(bitsOf(Infinity))).toBe(0x7c00);
    expect(f32BitsToF16(bitsOf(-Infinity))).toBe(0xfc00);
  });
});

describe("bf16 conversion", () => {
  it("rounds to nearest even, keeps NaN and Inf, and reads back exactly", () => {
    const random = seeded(5);
    for (let i = 0; i < 100_000; i++) {
      const bits = bitsOf(randomF32(random) * 2 ** 60);
      const v = valueOf(bits);
      const down = (bits >>> 16) << 16;
      const lower = valueOf(down >>> 0);
      const upper = valueOf((down + 0x10000) >>> 0);
      const dl = Math.abs(v - lower);
      const du = Math.abs(upper - v);
      const expected =
        dl < du ? bits >>> 16 : du < dl ? (bits >>> 16) + 1 : (bits >>> 16) + ((bits >>> 16) & 1);
      expect(f32BitsToBf16(bits)).toBe(expected & 0xffff);
      expect(valueOf(bf16BitsToF32(f32BitsToBf16(bits)))).toBe(valueOf(bf16BitsToF32(expected & 0xffff)));
    }
    expect(Number.isNaN(valueOf(bf16BitsToF32(f32BitsToBf16(bitsOf(NaN)))))).toBe(true);
    expect(f32BitsToBf16(bitsOf(Infinity))).toBe(0x7f80);
    expect(f32BitsToBf16(bitsOf(-Infinity))).toBe(0xff80);
    expect(f32BitsToBf16(bitsOf(3.4e38))).toBe(0x7f80); // rounds past the largest bf16
  });
});

describe("streaming conversion", () => {
  it("converts chunks of any size, elements cut between chunks included, to the same bytes as one block", async () => {
    const random = seeded(9);
    const values = Float32Array.from({ length: 10_001 }, () => randomF32(random));
    const bytes = new Uint8Array(values.buffer);
    const collect = async (chunks: AsyncIterable<Uint8Array>) => {
      const parts: Uint8Array[] = [];
      for await (const c of chunks) parts.push(c);
      return Buffer.concat(parts);
    };
    const whole = await collect(convertFloats([bytes], "F32", "F16"));
    expect(whole.length).toBe(values.length * 2);
    // Odd chunk sizes, from unaligned offsets of a larger buffer.
    async function* ragged() {
      const shifted = Buffer.concat([Buffer.alloc(1), bytes]).subarray(1);
      for (let at = 0; at < shifted.length;) {
        const n = 1 + Math.floor(random() * 9);
        yield shifted.subarray(at, at + n);
        at += n;
      }
    }
    expect(await collect(convertFloats(ragged(), "F32", "F16"))).toEqual(whole);
    // f16 → bf16 → f32 goes through f32; every f16 value is a bf16 value only if in range, so compare
    // f16 → f32 with the reference decode.
    const widened = new Float32Array(
      new Uint8Array(await collect(convertFloats([whole], "F16", "F32"))).buffer,
    );
    const halves = new Uint16Array(whole.buffer, whole.byteOffset, values.length);
    widened.forEach((v, i) => expect(v).toBe(f16Value(halves[i]!)));
    await expect(collect(convertFloats([bytes.subarray(0, 6)], "F32", "F16"))).rejects.toMatchObject({
      code: "safetensors_byte_length",
    });
  });

  it("converts a safetensors file's float tensors and passes integer tensors through", async () => {
    const weights = Float32Array.from({ length: 64 }, (_, i) => i / 7);
    const ids = BigInt64Array.from({ length: 4 }, (_, i) => BigInt(i * 1000));
    const file: Uint8Array[] = [];
    for await (const c of writeSafetensors(
      [
        { name: "w", dtype: "F32", shape: [8, 8], data: new Uint8Array(weights.buffer) },
        { name: "input_ids", dtype: "I64", shape: [1, 4], data: new Uint8Array(ids.buffer) },
      ],
      { dtype: "float32", base_model: "tiny" },
    ))
      file.push(c);
    const bytes = Buffer.concat(file);
    const out: Uint8Array[] = [];
    for await (const c of convertSafetensors([bytes], bytes.length, "BF16")) out.push(c);
    const converted = Buffer.concat(out);
    const read = await readAllTensors([converted], converted.length);
    expect(read.metadata).toEqual({ dtype: "bf16", base_model: "tiny" });
    expect(read.tensors.get("w")).toMatchObject({ dtype: "BF16", shape: [8, 8] });
    expect(read.tensors.get("input_ids")!.data).toEqual(Buffer.from(ids.buffer));
    const w = read.tensors.get("w")!.data;
    for (let i = 0; i < 64; i++) {
      expect(valueOf(bf16BitsToF32(w.readUInt16LE(i * 2)))).toBe(
        valueOf(bf16BitsToF32(f32BitsToBf16(bitsOf(weights[i]!)))),
      );
    }
  });
});

import { describe, expect, it } from "vitest";
import {
  addPattern,
  binaryFingerprintKey,
  keystream,
  orthogonalMatrix,
  PatternCorrelation,
  rotateA,
  rotateB,
  signsAt,
} from "./tensors.ts";

const SECRET = Buffer.alloc(32, 7);
const random = (n: number, seed: number) => {
  const out = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out[i] = x / 2 ** 31 - 0.5;
  }
  return out;
};

/** ΔW = B·A for B [out, r], A [r, in]. */
function product(b: Float32Array, a: Float32Array, r: number) {
  const cols = a.length / r;
  const rows = b.length / r;
  const out = new Float64Array(rows * cols);
  for (let o = 0; o < rows; o++)
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += b[o * r + k]! * a[k * cols + c]!;
      out[o * cols + c] = s;
    }
  return out;
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
};

describe("weight and KV fingerprints", () => {
  it("rotates a LoRA pair to different bytes computing the same ΔW, and un-rotates exactly", () => {
    const r = 16;
    const a = random(r * 256, 1);
    const b = random(384 * r, 2);
    const key = binaryFingerprintKey(SECRET, "org_a", "cube_1");
    const q = orthogonalMatrix(key, "model.layers.0.self_attn.q_proj", r);
    const a2 = rotateA(q, a, r);
    const b2 = rotateB(q, b, r);
    expect(maxDiff(a2, a)).toBeGreaterThan(0.1);
    expect(maxDiff(product(b2, a2, r), product(b, a, r))).toBeLessThanOrEqual(1e-6);
    // Qᵀ undoes Q: transpose and apply again.
    const qt = new Float64Array(r * r);
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) qt[i * r + j] = q[j * r + i]!;
    expect(maxDiff(rotateA(qt, a2, r), a)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(rotateB(qt, b2, r), b)).toBeLessThanOrEqual(1e-6);
    // Another organisation gets another rotation.
    const other = orthogonalMatrix(
      binaryFingerprintKey(SECRET, "org_b", "cube_1"),
      "model.layers.0.self_attn.q_proj",
      r,
    );
    expect(maxDiff(rotateA(other, a, r), a2)).toBeGreaterThan(0.1);
  });

  it("gives the same keyed signs for a range however it is cut", () => {
    const key = binaryFingerprintKey(SECRET, "org_a", "cube_1");
    const whole = signsAt(key, "t", 0, 10_000);
    const pieces = [signsAt(key, "t", 0, 37), signsAt(key, "t", 37, 4000), signsAt(key, "t", 4037, 5963)];
    expect(
      Buffer.from(Int8Array.from(pieces.flatMap((p) => [...p])).buffer).equals(Buffer.from(whole.buffer)),
    ).toBe(true);
    expect(keystream(key, "t", 100, 50).equals(keystream(key, "t", 0, 150).subarray(100))).toBe(true);
    const plus = whole.filter((s) => s === 1).length;
    expect(Math.abs(plus - 5000)).toBeLessThan(300);
  });

  it("correlates a marked copy with its organisation's pattern only, through f16 rounding", () => {
    const original = random(50_000, 3);
    const keys = Array.from({ length: 20 }, (_, i) => binaryFingerprintKey(SECRET, `org_${i}`, "cube_kv"));
    const marked = Float32Array.from(original);
    addPattern(marked, keys[7]!, "past_key_values.0.key", 0, 0.002 * 0.29);
    // f16 keeps 11 significant bits: a relative error up to 2⁻¹¹.
    const rounded = marked.map((v) => {
      const e = Math.floor(Math.log2(Math.abs(v) || 1));
      const step = 2 ** (e - 10);
      return Math.round(v / step) * step;
    });
    const scores = keys.map((key) => {
      const c = new PatternCorrelation();
      const residual = rounded.map((v, i) => v - original[i]!);
      c.add(residual.subarray(0, 20_000), key, "past_key_values.0.key", 0);
      c.add(residual.subarray(20_000), key, "past_key_values.0.key", 20_000);
      return c.value;
    });
    expect(scores[7]).toBeGreaterThan(0.5);
    for (const [i, s] of scores.entries()) if (i !== 7) expect(Math.abs(s)).toBeLessThan(0.05);
  });
});

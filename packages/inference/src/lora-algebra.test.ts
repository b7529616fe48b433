import { describe, expect, it } from "vitest";
import { concatenateModules, jacobiSvd, reduceRank, thinQr } from "./lora-algebra.ts";
import { type LoraModule, loraDelta } from "./validation.ts";

function seeded(seed: number) {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
}

function randomModule(seed: number, rank: number, scaling = 2, out = 24, inFeatures = 20): LoraModule {
  const random = seeded(seed);
  return {
    module: "model.layers.0.self_attn.q_proj",
    rank,
    inFeatures,
    outFeatures: out,
    scaling,
    a: Float32Array.from({ length: rank * inFeatures }, random),
    b: Float32Array.from({ length: out * rank }, random),
  };
}

const frobenius = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
const minus = (x: Float32Array, y: Float32Array) => x.map((v, i) => v - y[i]!);

describe("merging LoRA modules by rank concatenation", () => {
  it("gives exactly the weighted sum of the updates, at rank Σ rᵢ and scaling 1", () => {
    const one = randomModule(1, 4, 2);
    const two = randomModule(2, 8, 0.5);
    const merged = concatenateModules([
      { module: one, weight: 1 },
      { module: two, weight: 0.3 },
    ]);
    expect(merged).toMatchObject({ rank: 12, scaling: 1, inFeatures: 20, outFeatures: 24 });
    const expected = loraDelta(one).map((v, i) => v + 0.3 * loraDelta(two)[i]!);
    const got = loraDelta(merged);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
  });

  it("refuses modules of different shapes", () => {
    expect(() =>
      concatenateModules([
        { module: randomModule(1, 4), weight: 1 },
        { module: randomModule(2, 4, 1, 24, 16), weight: 1 },
      ]),
    ).toThrow(/shapes differ/);
  });
});

describe("rank reduction by truncated SVD", () => {
  it("QR and Jacobi SVD reconstruct their input", () => {
    const random = seeded(7);
    const m = Float64Array.from({ length: 30 * 5 }, random);
    const { q, r } = thinQr(m, 30, 5);
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 5; j++) {
        let sum = 0;
        for (let t = 0; t < 5; t++) sum += q[i * 5 + t]! * r[t * 5 + j]!;
        expect(sum).toBeCloseTo(m[i * 5 + j]!, 10);
      }
    }
    const c = Float64Array.from({ length: 36 }, random);
    const { u, sigma, v } = jacobiSvd(c, 6);
    expect([...sigma]).toEqual([...sigma].sort((x, y) => y - x));
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        let sum = 0;
        for (let t = 0; t < 6; t++) sum += u[i * 6 + t]! * sigma[t]! * v[j * 6 + t]!;
        expect(sum).toBeCloseTo(c[i * 6 + j]!, 10);
      }
    }
  });

  it("keeps the update exactly at full rank", () => {
    const m = randomModule(3, 8);
    const { module, relative_error } = reduceRank(m, 8);
    expect(relative_error).toBe(0);
    expect(frobenius(minus(loraDelta(module), loraDelta(m)))).toBe(0);
  });

  it("reports the error it really makes, which the best rank-k error bounds from below every other choice", () => {
    const m = randomModule(4, 8);
    const full = loraDelta(m);
    const { module, relative_error, singular_values } = reduceRank(m, 3);
    expect(module).toMatchObject({ rank: 3, scaling: 1 });
    expect(module.a).toHaveLength(3 * 20);
    expect(module.b).toHaveLength(24 * 3);
    const measured = frobenius(minus(loraDelta(module), full)) / frobenius(full);
    expect(relative_error).toBeCloseTo(measured, 5);
    // The singular values are those of s·B·A: their squares add up to ‖s·B·A‖².
    expect(Math.sqrt(singular_values.reduce((s, x) => s + x * x, 0))).toBeCloseTo(frobenius(full), 3);
    // Keeping the first 3 of B's columns and A's rows does worse than the SVD.
    const naive = { ...m, rank: 3, a: m.a.slice(0, 3 * 20), b: m.b.filter((_, i) => i % 8 < 3) };
    expect(frobenius(minus(loraDelta(naive), full)) / frobenius(full)).toBeGreaterThan(relative_error);
  });

  it("loses nothing when the update's rank is lower than the adapter's", () => {
    // Rank 6 adapter whose update has rank 2: columns of B repeat.
    const base = randomModule(5, 2);
    const a = new Float32Array(6 * 20);
    const b = new Float32Array(24 * 6);
    for (let r = 0; r < 6; r++) a.set(base.a.subarray((r % 2) * 20, (r % 2) * 20 + 20), r * 20);
    for (let o = 0; o < 24; o++) for (let r = 0; r < 6; r++) b[o * 6 + r] = base.b[o * 2 + (r % 2)]! / 3;
    const wide = { ...base, rank: 6, a, b };
    const { module, relative_error, singular_values } = reduceRank(wide, 2);
    expect(relative_error).toBeLessThan(1e-6);
    expect(singular_values[2]! / singular_values[0]!).toBeLessThan(1e-6);
    const full = loraDelta(wide);
    expect(frobenius(minus(loraDelta(module), full)) / frobenius(full)).toBeLessThan(1e-5);
  });
});

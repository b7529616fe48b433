import { describe, expect, it } from "vitest";
import { RS_LENGTH, rsDecode, rsEncode } from "./reed-solomon.ts";

function randomNibbles(n: number, rand: () => number) {
  return Array.from({ length: n }, () => Math.floor(rand() * 16));
}

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

describe("Reed–Solomon over GF(16)", () => {
  it("encodes systematically and decodes a clean word", () => {
    const data = [1, 2, 3, 4, 5, 6];
    const word = rsEncode(data);
    expect(word).toHaveLength(RS_LENGTH);
    expect(word.slice(6)).toEqual(data);
    expect(rsDecode(word)).toEqual({ data, corrected: 0 });
  });

  it("corrects any 1, 2 or 3 wrong symbols at any positions", () => {
    const rand = seeded(7);
    for (let trial = 0; trial < 3000; trial++) {
      const data = randomNibbles(6, rand);
      const word = rsEncode(data);
      const errors = 1 + (trial % 3);
      const positions = new Set<number>();
      while (positions.size < errors) positions.add(Math.floor(rand() * RS_LENGTH));
      for (const p of positions) word[p] = (word[p]! ^ (1 + Math.floor(rand() * 15))) & 0xf;
      const decoded = rsDecode(word);
      expect(decoded, `trial ${trial}`).toEqual({ data, corrected: errors });
    }
  });

  it("refuses most words with more errors than it can fix instead of inventing data", () => {
    const rand = seeded(11);
    let refused = 0;
    let wrong = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const data = randomNibbles(6, rand);
      const word = rsEncode(data);
      const positions = new Set<number>();
      while (positions.size < 5) positions.add(Math.floor(rand() * RS_LENGTH));
      for (const p of positions) word[p] = (word[p]! ^ (1 + Math.floor(rand() * 15))) & 0xf;
      const decoded = rsDecode(word);
      if (decoded === null) refused++;
      else if (decoded.data.join() !== data.join()) wrong++;
    }
    // A word five symbols off lands within 3 of another codeword about 5 % of the time.
    expect(refused / 2000).toBeGreaterThan(0.9);
    expect(wrong + refused).toBe(2000);
  });

  it("checks its input", () => {
    expect(() => rsEncode([1, 2, 3])).toThrow(RangeError);
    expect(() => rsEncode([16, 0, 0, 0, 0, 0])).toThrow(RangeError);
    expect(rsDecode([1, 2, 3])).toBeNull();
  });
});

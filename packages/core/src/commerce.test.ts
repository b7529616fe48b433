import { describe, expect, it } from "vitest";
import { platformFee } from "./commerce.ts";

describe("platformFee", () => {
  it("takes whole minor units, rounded down, exactly at the largest amounts", () => {
    expect(platformFee(1999, 1500)).toBe(299);
    expect(platformFee(1999, 1000)).toBe(199);
    expect(platformFee(100, 0)).toBe(0);
    expect(platformFee(100, 10_000)).toBe(100);
    expect(platformFee(999_999_999, 9_999)).toBe(999_899_999);
    // 0.1 + 0.2 territory: integer arithmetic only.
    expect(platformFee(3, 3_333)).toBe(0);
    expect(platformFee(30_000, 3_333)).toBe(9_999);
  });

  it("refuses amounts that are not whole minor units and fees outside 0..100%", () => {
    expect(() => platformFee(19.99, 1000)).toThrow(RangeError);
    expect(() => platformFee(-1, 1000)).toThrow(RangeError);
    expect(() => platformFee(100, 10_001)).toThrow(RangeError);
    expect(() => platformFee(2 ** 53, 10)).toThrow(RangeError);
  });
});

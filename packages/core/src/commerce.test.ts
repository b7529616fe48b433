import { describe, expect, it } from "vitest";
import { formatMinor, parseMinor, platformFee } from "./commerce.ts";

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

describe("minor units from and to what people read", () => {
  it("parses typed prices digit by digit and formats cents without floating point", () => {
    expect(parseMinor("49")).toBe(4900);
    expect(parseMinor("49.5")).toBe(4950);
    expect(parseMinor("0.29")).toBe(29);
    expect(parseMinor(" 19,99 ")).toBe(1999);
    for (const bad of ["", "1.999", "-3", "1e3", "abc", "12.", "9999999999"])
      expect(parseMinor(bad), bad).toBeNull();
    expect(formatMinor(1999, "usd")).toBe("19.99 USD");
    expect(formatMinor(5, "eur")).toBe("0.05 EUR");
    expect(formatMinor(999_999_999, "jpy")).toBe("9999999.99 JPY");
  });
});

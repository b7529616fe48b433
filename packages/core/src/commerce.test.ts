import { describe, expect, it } from "vitest";
import { billableCalls, formatMinor, parseMinor, platformFee, usageCharge } from "./commerce.ts";
import { CURRENCIES, isCurrency, minorExponent } from "./currencies.ts";

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
    expect(parseMinor("49", "usd")).toBe(4900);
    expect(parseMinor("49.5", "usd")).toBe(4950);
    expect(parseMinor("0.29", "eur")).toBe(29);
    expect(parseMinor(" 19,99 ", "usd")).toBe(1999);
    for (const bad of ["", "1.999", "-3", "1e3", "abc", "12.", "9999999999"])
      expect(parseMinor(bad, "usd"), bad).toBeNull();
    expect(formatMinor(1999, "usd")).toBe("19.99 USD");
    expect(formatMinor(5, "eur")).toBe("0.05 EUR");
    expect(formatMinor(-5, "eur")).toBe("-0.05 EUR");
  });

  it("uses each currency's own minor unit: none for JPY, three decimals for KWD", () => {
    expect(minorExponent("jpy")).toBe(0);
    expect(minorExponent("KWD")).toBe(3);
    expect(formatMinor(999_999_999, "jpy")).toBe("999999999 JPY");
    expect(formatMinor(1999, "kwd")).toBe("1.999 KWD");
    expect(formatMinor(5, "bhd")).toBe("0.005 BHD");
    expect(parseMinor("1500", "jpy")).toBe(1500);
    expect(parseMinor("15.5", "jpy")).toBeNull();
    expect(parseMinor("1.5", "kwd")).toBe(1500);
    expect(parseMinor("1.999", "kwd")).toBe(1999);
    expect(parseMinor("1.9999", "kwd")).toBeNull();
    for (const [currency, text] of [
      ["usd", "19.99"],
      ["jpy", "1999"],
      ["kwd", "1.999"],
    ] as const)
      expect(formatMinor(parseMinor(text, currency)!, currency)).toBe(`${text} ${currency.toUpperCase()}`);
  });

  it("knows the ISO 4217 codes Stripe charges in, and no others", () => {
    for (const code of ["usd", "eur", "gbp", "jpy", "kwd", "chf"]) expect(isCurrency(code), code).toBe(true);
    for (const code of ["xyz", "zzz", "USD", "us", "usdd", "xau", ""])
      expect(isCurrency(code), code).toBe(false);
    expect(CURRENCIES.length).toBeGreaterThan(130);
  });
});

describe("usage pricing", () => {
  const pricing = { unit_amount_cents: 250, included_calls: 1000, monthly_cap_cents: 600 };

  it("charges each started block of 1,000 calls past the free ones", () => {
    expect(usageCharge(pricing, 0)).toBe(0);
    expect(usageCharge(pricing, 1000)).toBe(0);
    expect(usageCharge(pricing, 1001)).toBe(250);
    expect(usageCharge(pricing, 2000)).toBe(250);
    expect(usageCharge(pricing, 2001)).toBe(500);
    expect(usageCharge({ unit_amount_cents: 7 }, 999_999_999)).toBe(7_000_000);
  });

  it("stops charging at the last whole block the monthly cap pays for", () => {
    // 600 cents pay for two blocks of 250: billing stops at 2,000 billable calls, 500 cents.
    expect(billableCalls(pricing, 50_000)).toBe(2000);
    expect(usageCharge(pricing, 50_000)).toBe(500);
    expect(usageCharge({ unit_amount_cents: 300, monthly_cap_cents: 600 }, 10_000)).toBe(600);
    expect(billableCalls({ unit_amount_cents: 300, monthly_cap_cents: 200 }, 10_000)).toBe(0);
  });
});

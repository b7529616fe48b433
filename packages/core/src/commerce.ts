import { minorExponent } from "./currencies.ts";
/**
 * The words of commerce, declared once: where an entitlement came from, the states it passes
 * through, and which of them let its holder use the listing. Money is integer minor units
 * (cents) with an ISO 4217 currency, never a floating-point number.
 */
export const ENTITLEMENT_SOURCES = ["free", "purchase", "subscription", "offer", "grant"] as const;
export type EntitlementSource = (typeof ENTITLEMENT_SOURCES)[number];

export const ENTITLEMENT_STATES = [
  "active",
  "trialing",
  "past_due",
  "canceled",
  "revoked",
  "expired",
] as const;
export type EntitlementState = (typeof ENTITLEMENT_STATES)[number];

/** States in which installs keep working (a payment that failed has a grace period: past_due). */
export const USABLE_ENTITLEMENT_STATES: readonly EntitlementState[] = ["active", "trialing", "past_due"];

/** The platform's fee on a sale, in basis points of the amount, rounded down to a whole minor unit. */
export function platformFee(amountMinor: number, feeBasisPoints: number): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0)
    throw new RangeError("an amount is a whole number of minor units");
  if (!Number.isInteger(feeBasisPoints) || feeBasisPoints < 0 || feeBasisPoints > 10_000)
    throw new RangeError("a fee is 0..10000 basis points");
  // Integer division without a fractional step: the product stays below 2^53 (amounts < 10^9,
  // basis points ≤ 10^4), and subtracting the remainder leaves an exact multiple of 10,000.
  const product = amountMinor * feeBasisPoints;
  if (!Number.isSafeInteger(product)) throw new RangeError("amount too large for an exact fee");
  return (product - (product % 10_000)) / 10_000;
}

/**
 * Integer minor units as a price in its currency's own decimals, without floating point:
 * 1999, "usd" → "19.99 USD"; 1999, "jpy" → "1999 JPY"; 1999, "kwd" → "1.999 KWD".
 */
export function formatMinor(minor: number, currency: string): string {
  const exponent = minorExponent(currency);
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor)).padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : "";
  return `${sign}${whole}${fraction} ${currency.toUpperCase()}`;
}

/**
 * A price a person typed ("49", "49.5", "49.00") as integer minor units of the currency, read from
 * the digits themselves (no floating point); null when it is not an amount with at most as many
 * decimals as the currency has (none for JPY, three for KWD).
 */
export function parseMinor(text: string, currency: string): number | null {
  const exponent = minorExponent(currency);
  const match = /^\s*(\d{1,9})(?:[.,](\d{1,3}))?\s*$/.exec(text);
  if (!match || (match[2] ?? "").length > exponent) return null;
  return Number(match[1]) * 10 ** exponent + Number((match[2] ?? "").padEnd(exponent, "0") || "0");
}

/** A usage-priced listing's price: per 1,000 agent calls, some free each month, a monthly cap. */
export type UsagePricing = {
  unit_amount_cents: number;
  included_calls?: number | undefined;
  monthly_cap_cents?: number | undefined;
};

/** Whole-number division rounded up, without a fractional step. */
const ceilDiv = (n: number, d: number) => (n - (n % d)) / d + (n % d === 0 ? 0 : 1);

/**
 * The calls of a month that are charged: those past the free ones, up to the last whole block of
 * 1,000 the monthly cap still pays for. Every block started is charged in full (Stripe's
 * `transform_quantity` divides by 1,000 and rounds up), so the cap stops charges at a block edge.
 */
export function billableCalls(pricing: UsagePricing, calls: number): number {
  const past = Math.max(0, calls - (pricing.included_calls ?? 0));
  if (pricing.monthly_cap_cents === undefined) return past;
  const blocks =
    (pricing.monthly_cap_cents - (pricing.monthly_cap_cents % pricing.unit_amount_cents)) /
    pricing.unit_amount_cents;
  return Math.min(past, blocks * 1000);
}

/** What a month of `calls` costs under a usage pricing, in minor units: never above the cap. */
export function usageCharge(pricing: UsagePricing, calls: number): number {
  return ceilDiv(billableCalls(pricing, calls), 1000) * pricing.unit_amount_cents;
}

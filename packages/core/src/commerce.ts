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

/** Integer minor units as a price, without floating point: 1999, "usd" → "19.99 USD". */
export function formatMinor(minor: number, currency: string): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")} ${currency.toUpperCase()}`;
}

/**
 * A price a person typed ("49", "49.5", "49.00") as integer minor units, read from the digits
 * themselves (no floating point); null when it is not an amount with at most two decimals.
 */
export function parseMinor(text: string): number | null {
  const match = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

import { isCurrency } from "@memstore/core";
import { z } from "zod";

/** Money in minor units (cents): a positive integer below 10^9. */
const cents = z.number().int().positive().max(999_999_999);
/** ISO 4217, lower-case as the payment provider writes it, and one it charges in (see CURRENCIES). */
const currency = z
  .string()
  .regex(/^[a-z]{3}$/, "an ISO 4217 currency code in lower case, like usd")
  .refine(isCurrency, "not an ISO 4217 currency the payment provider charges in (usd, eur, jpy, …)");

/** How a listing is sold; amounts are integer minor units, never floating point. */
export const pricingSchema = z.discriminatedUnion("model", [
  z.object({ model: z.literal("free") }).strict(),
  z.object({ model: z.literal("one_time"), amount_cents: cents, currency }).strict(),
  z
    .object({
      model: z.literal("subscription"),
      amount_cents: cents,
      currency,
      interval: z.enum(["month", "year"]),
      trial_days: z.number().int().min(1).max(730).optional(),
    })
    .strict(),
  z
    .object({
      model: z.literal("usage"),
      /** Per 1,000 agent calls. */
      unit_amount_cents: cents,
      currency,
      /** Free calls each month. */
      included_calls: z.number().int().min(0).max(999_999_999).optional(),
      monthly_cap_cents: cents.optional(),
    })
    .strict(),
]);
export type Pricing = z.infer<typeof pricingSchema>;

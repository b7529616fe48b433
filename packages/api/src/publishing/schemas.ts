import {
  CUBE_TYPES,
  idSchema,
  isCurrency,
  MARK_DENSITIES,
  termsSchema,
  manifestDraftSchema,
  semverSchema,
  slugSchema,
  tagSchema,
  VISIBILITIES,
} from "@memstore/core";
import { z } from "zod";

/** Inputs of the publishing procedures: the REST routes, tRPC and the portal's forms share them. */
export const createCubeInput = z
  .object({
    slug: slugSchema,
    type: z.enum(CUBE_TYPES),
    title: z.string().trim().min(1).max(200),
    description: z.string().max(20_000).optional(),
    tags: z.array(tagSchema).max(32).optional(),
  })
  .strict();

export const createVersionInput = z
  .object({
    version: semverSchema,
    manifest: manifestDraftSchema.optional(),
  })
  .strict();

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

export const createListingInput = z
  .object({
    cube_id: idSchema,
    visibility: z.enum(VISIBILITIES),
    pricing: pricingSchema,
    terms: termsSchema.default({}),
    /** Serve each subscribing install a few synthetic facts of its own, so a paraphrased leak is traceable. */
    canaries: z.boolean().default(false),
    /** How densely served text carries the subscriber's fingerprint marks (plaintext; default light). */
    marks: z.enum(MARK_DENSITIES).optional(),
  })
  .strict();

/** A publisher's edit of a listing: any of its words, price, terms and visibility. */
export const updateListingInput = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(20_000).optional(),
    pricing: pricingSchema.optional(),
    terms: termsSchema.optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    marks: z.enum(MARK_DENSITIES).optional(),
  })
  .strict()
  .refine((input) => Object.keys(input).length > 0, { message: "say what to change" });

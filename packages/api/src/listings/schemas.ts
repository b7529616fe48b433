import { idSchema, MARK_DENSITIES, termsSchema, VISIBILITIES } from "@memstore/core";
import { z } from "zod";
import { pricingSchema } from "../payments/pricing.ts";

/** Who may acquire a listing: anyone who sees it (`open`), or those whose access request was approved. */
export const LISTING_ACCESS = ["open", "request"] as const;

/** Inputs of a publisher's listings, shared by REST, tRPC and the portal's forms. */
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
    /** `request`: buyers ask first, and acquire once the publisher approves (default `open`). */
    access: z.enum(LISTING_ACCESS).optional(),
    /** Whether signed-in buyers may try it first (20 questions a day each; default true). */
    preview: z.boolean().optional(),
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
    access: z.enum(LISTING_ACCESS).optional(),
    preview: z.boolean().optional(),
  })
  .strict()
  .refine((input) => Object.keys(input).length > 0, { message: "say what to change" });

import {
  CUBE_TYPES,
  idSchema,
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

export const pricingSchema = z
  .object({
    model: z.enum(["free", "one_time", "subscription"]),
    amount_cents: z.number().int().positive().max(999_999_999).optional(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/i)
      .optional(),
    interval: z.enum(["month", "year"]).optional(),
  })
  .strict();

export const createListingInput = z
  .object({
    cube_id: idSchema,
    visibility: z.enum(VISIBILITIES),
    pricing: pricingSchema,
    terms: termsSchema.default({}),
    /** Serve each subscribing install a few synthetic facts of its own, so a paraphrased leak is traceable. */
    canaries: z.boolean().default(false),
  })
  .strict();

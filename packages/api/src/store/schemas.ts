import { idSchema, purposeSchema, termsSchema } from "@memstore/core";
import { z } from "zod";
import { pageQuery } from "../kernel/pagination.ts";
import { pricingSchema } from "../payments/pricing.ts";

/** The store's inputs for access requests, shared by the transports and the portal's forms. */

/** `POST /api/v1/store/listings/{listing_id}/access-requests`: what the buyer wants it for. */
export const accessRequestInput = z
  .object({ message: z.string().trim().min(1).max(2_000), purpose: purposeSchema.optional() })
  .strict();

/** `GET /api/v1/access-requests`: a page, of one listing's requests when `listing_id` is given. */
export const ownRequestsQuery = pageQuery.extend({ listing_id: idSchema.optional() });

/** `POST /api/v1/access-requests/{request_id}/approve` (a private offer, optionally) and `/deny`. */
export const decideAccessInput = z
  .object({
    offer: z.object({ pricing: pricingSchema, terms: termsSchema.optional() }).strict().optional(),
    reason: z.string().trim().min(1).max(1_000).optional(),
  })
  .strict();

/** `POST /api/v1/store/listings/{listing_id}/try`: 1 to 20 questions, each printable text on one line. */
export const tryListingInput = z
  .object({
    questions: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(500)
          .regex(/^[^\p{Cc}]+$/u, "a question is printable text on one line"),
      )
      .min(1)
      .max(20),
  })
  .strict();

/** `POST /api/v1/store/listings/{listing_id}/reviews`: a rating of 1 to 5, a title and the text. */
export const reviewInput = z
  .object({
    rating: z.number().int().min(1).max(5),
    title: z.string().trim().min(1).max(120),
    body: z.string().trim().min(1).max(5_000),
  })
  .strict();

/** `POST /api/v1/reviews/{review_id}/reply`: the publisher's one reply. */
export const replyInput = z.object({ body: z.string().trim().min(1).max(2_000) }).strict();

/** `POST /api/v1/reviews/{review_id}/report`: why the review breaks the rules. */
export const reportInput = z.object({ reason: z.string().trim().min(1).max(1_000) }).strict();

import { AppError, newId, notFound, slugSchema, type Subject, termsSchema } from "@memstore/core";
import { type Executor, type ListingRow, offers, type OfferRow } from "@memstore/db";

import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { loadOwnListing } from "../catalog/cubes.ts";
import { pricingSchema } from "../payments/pricing.ts";
import { openOffers } from "./queries.ts";
import { organizationWithSlug } from "../identity/queries.ts";

const YEAR_MS = 366 * 86_400_000;

export const offerInput = z
  .object({
    org_slug: slugSchema,
    pricing: pricingSchema,
    terms: termsSchema.optional(),
    expires_at: z.iso
      .datetime({ offset: true })
      .refine((at) => {
        const t = Date.parse(at);
        return t > Date.now() && t < Date.now() + 2 * YEAR_MS;
      }, "a moment in the next two years")
      .optional(),
  })
  .strict();

export function offerView(o: OfferRow, organization?: { slug: string; name: string }) {
  return {
    id: o.id,
    listing_id: o.listingId,
    ...(organization && { organization }),
    pricing: o.pricing,
    terms: o.terms,
    expires_at: o.expiresAt?.toISOString() ?? null,
    created_at: o.createdAt.toISOString(),
  };
}

/**
 * A publisher makes one organisation a private offer on a listing: a price (and terms) of its own,
 * until it expires. Only that organisation sees the offer — and the listing, even a private one —
 * and acquires under it (`offer_id`); its entitlement's source is `offer`.
 */
export async function createOffer(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  raw: z.input<typeof offerInput>,
) {
  authorize(subject, "listing.write");
  const input = offerInput.parse(raw);
  const listing = await loadOwnListing(ctx.db, subject, listingId);
  const org = await organizationWithSlug(ctx.db, { slug: input.org_slug });
  if (!org) notFound("organization");
  if (org.id === subject.orgId)
    throw new AppError("invalid_input", "an offer is made to another organisation, not your own");
  return ctx.db.transaction((tx) => insertOffer(tx, subject, listing, org, input));
}

/** The offer's row and its audit, in the caller's transaction (an approved access request makes one too). */
export async function insertOffer(
  tx: Executor,
  subject: Subject,
  listing: ListingRow,
  org: { id: string; slug: string; name: string },
  input: {
    pricing: OfferRow["pricing"];
    terms?: OfferRow["terms"] | undefined;
    expires_at?: string | undefined;
  },
) {
  if (listing.status === "retired") throw new AppError("conflict", "a retired listing takes no offers");
  if (input.pricing.model === "usage")
    throw new AppError(
      "conflict",
      "usage-priced offers are not sold yet: offer a one-time or subscription price",
    );
  const listingId = listing.id;
  const [offer] = await tx
    .insert(offers)
    .values({
      id: newId("off"),
      listingId,
      orgId: org.id,
      pricing: input.pricing,
      terms: input.terms ?? null,
      expiresAt: input.expires_at ? new Date(input.expires_at) : null,
    })
    .returning();
  await recordAudit(tx, {
    orgId: subject.orgId,
    actor: actorOf(subject),
    action: "offer.created",
    objectType: "offer",
    objectId: offer!.id,
    data: { listing_id: listingId, org_slug: org.slug, pricing: input.pricing },
  });
  return offerView(offer!, { slug: org.slug, name: org.name });
}

/** The open offer `offerId` to this organisation on this listing, or 404. */
export async function openOffer(db: Executor, orgId: string, listingId: string, offerId: string) {
  const offer = (await openOffers(db, { orgId, listingId })).find((o) => o.id === offerId);
  if (!offer) notFound("offer");
  return offer;
}

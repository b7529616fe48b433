import { AppError, decide, type Subject } from "@memstore/core";
import { type EntitlementRow, type ListingRow, type OfferRow } from "@memstore/db";
import { type z } from "zod";
import { type acquireInput, startCheckout } from "../payments/checkout.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { entitlementView, validUntilOf } from "../entitlements/entitlements.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { grantEntitlement } from "../entitlements/lifecycle.ts";
import { openOffer } from "../listings/offers.ts";
import { assertAccessGranted } from "./access-requests.ts";
import { assertPublished, loadVisibleListing } from "./store-listings.ts";

/**
 * Acquires a listing: a free one grants an entitlement at once (valid for the terms' `valid_days`,
 * if set). Acquiring again while an entitlement is live returns that one.
 */
export async function acquireListing(ctx: AppContext, subject: Subject, listingId: string) {
  const listing = await acquirable(ctx, subject, listingId);
  if (listing.pricing.model !== "free") {
    throw new AppError("entitlement_required", "this listing is paid: it is bought through its checkout");
  }
  return grantFree(ctx, subject, listing);
}

/**
 * A listing the subject may acquire now: visible to it, published, another organisation's, and (for
 * a listing sold on request) with the organisation's request approved.
 */
async function acquirable(ctx: AppContext, subject: Subject, listingId: string) {
  authorize(subject, "store.acquire");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  assertPublished(listing);
  // Buying from oneself books a sale and a fee that nothing paid for, and inflates the numbers.
  if (listing.orgId === subject.orgId)
    throw new AppError("conflict", "a publisher cannot acquire its own listing");
  await assertAccessGranted(ctx.db, subject, listing);
  return listing;
}

/** The entitlement the subject holds and may use now, if any (the policy judges its dates). */
const usable = (subject: Subject, held: EntitlementRow | null) =>
  held && decide(subject, "store.acquire", {}, { entitlement: held }).allow ? held : null;

/** A free (or freely offered) listing's entitlement: the one held, or one granted now. */
async function grantFree(
  ctx: AppContext,
  subject: Subject,
  listing: ListingRow,
  offer: OfferRow | null = null,
) {
  return ctx.db.transaction(async (tx) => {
    const now = new Date();
    const { row, created } = await grantEntitlement(
      tx,
      {
        cause: offer ? "offer" : "free_acquire",
        orgId: subject.orgId,
        listingId: listing.id,
        source: offer ? "offer" : "free",
        offerId: offer?.id ?? null,
        validFrom: now,
        validUntil: validUntilOf(offer?.terms ?? listing.terms, now),
      },
      { actor: actorOf(subject), data: { offer_id: offer?.id ?? null } },
    );
    return { entitlement: entitlementView(row), created };
  });
}

/**
 * What a buyer's acquire does: a free listing's entitlement at once (see acquireListing); for a paid
 * one, the live entitlement if the organisation holds one, else a checkout to pay at.
 */
export async function acquire(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  input: z.infer<typeof acquireInput> = {},
) {
  const listing = await acquirable(ctx, subject, listingId);
  // A private offer made to the organisation sells at its own price and terms.
  const offer = input.offer_id ? await openOffer(ctx.db, subject.orgId, listing.id, input.offer_id) : null;
  if ((offer?.pricing ?? listing.pricing).model === "free") return grantFree(ctx, subject, listing, offer);
  const live = usable(
    subject,
    await latestEntitlement(ctx.db, { orgId: subject.orgId, listingId: listing.id }),
  );
  if (live) return { entitlement: entitlementView(live), created: false };
  return { checkout: await startCheckout(ctx, subject, listing, input, offer) };
}

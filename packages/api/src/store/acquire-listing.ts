import { AppError, decide, newId, type Subject } from "@memstore/core";
import { entitlements } from "@memstore/db";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { type acquireInput, startCheckout } from "../commerce/checkout.ts";
import type { AppContext } from "../context.ts";
import { actorOf, authorize } from "../identity/authorize.ts";
import { entitlementView, latestEntitlement, resumeSuspendedInstalls } from "./entitlements.ts";
import { assertPublished, loadVisibleListing } from "./store-listings.ts";

/**
 * Acquires a listing: a free one grants an entitlement at once (valid for the terms' `valid_days`,
 * if set). Acquiring again while an entitlement is live returns that one.
 */
export async function acquireListing(ctx: AppContext, subject: Subject, listingId: string) {
  authorize(subject, "store.acquire");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  assertPublished(listing);
  if (listing.pricing.model !== "free") {
    throw new AppError("entitlement_required", "this listing is paid: it is bought through its checkout");
  }
  return ctx.db.transaction(async (tx) => {
    const now = new Date();
    const live = await latestEntitlement(tx, subject.orgId, listing.id);
    if (live && !live.revokedAt && (!live.validUntil || live.validUntil > now))
      return { entitlement: entitlementView(live), created: false };
    const validDays = listing.terms.valid_days;
    const [created] = await tx
      .insert(entitlements)
      .values({
        id: newId("ent"),
        orgId: subject.orgId,
        listingId: listing.id,
        source: "free",
        validFrom: now,
        validUntil: validDays ? new Date(now.getTime() + validDays * 86_400_000) : null,
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "entitlement.created",
      objectType: "entitlement",
      objectId: created!.id,
      data: { listing_id: listing.id, source: "free" },
    });
    await resumeSuspendedInstalls(tx, subject.orgId, listing.id);
    return { entitlement: entitlementView(created!), created: true };
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
  authorize(subject, "store.acquire");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  assertPublished(listing);
  if (listing.pricing.model === "free") return acquireListing(ctx, subject, listingId);
  const live = await latestEntitlement(ctx.db, subject.orgId, listing.id);
  if (live && decide(subject, "store.acquire", {}, { entitlement: live }).allow)
    return { entitlement: entitlementView(live), created: false };
  return { checkout: await startCheckout(ctx, subject, listing, input) };
}

import { AppError, newId, type Subject } from "@memstore/core";
import { entitlements } from "@memstore/db";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../context.ts";
import { actorOf, authorize } from "../identity/authorize.ts";
import { entitlementView, latestEntitlement } from "./entitlements.ts";
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
    throw new AppError(
      "payments_unavailable",
      "this listing is paid and this MemStore does not take payments yet",
    );
  }
  return ctx.db.transaction(async (tx) => {
    const now = new Date();
    const live = await latestEntitlement(tx, subject.orgId, listing.id);
    if (live && (!live.validUntil || live.validUntil > now))
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
    return { entitlement: entitlementView(created!), created: true };
  });
}

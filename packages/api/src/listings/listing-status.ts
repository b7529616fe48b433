import { AppError, type Subject } from "@memstore/core";
import { listings } from "@memstore/db";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { stopRenewals } from "../entitlements/renewals.ts";
import { actorOf } from "../kernel/authorize.ts";
import { listingView } from "../kernel/views.ts";
import { loadOwnListing } from "../catalog/cubes.ts";

/**
 * A listing's life after publishing. Suspended: hidden from the store, no new acquisitions, while
 * existing entitlements keep working; resumed: published again. Retired: as suspended, and final
 * (no renewals, never published again).
 */
const TRANSITIONS = {
  suspend: { from: ["published"], to: "suspended" },
  resume: { from: ["suspended"], to: "published" },
  retire: { from: ["published", "suspended"], to: "retired" },
} as const;

export type ListingTransition = keyof typeof TRANSITIONS;

export async function changeListingStatus(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  transition: ListingTransition,
) {
  const { from, to } = TRANSITIONS[transition];
  const changed = await ctx.db.transaction(async (tx) => {
    const listing = await loadOwnListing(tx, subject, listingId, true);
    if (!(from as readonly string[]).includes(listing.status)) {
      throw new AppError(
        "conflict",
        `a ${listing.status} listing cannot be ${to === "published" ? "resumed" : to}${listing.status === "retired" ? ": retiring is final" : ""}`,
      );
    }
    const [updated] = await tx
      .update(listings)
      .set({ status: to })
      .where(eq(listings.id, listing.id))
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: `listing.${to === "published" ? "resumed" : to}`,
      objectType: "listing",
      objectId: listing.id,
      data: { from: listing.status, to },
    });
    return listingView(updated!);
  });
  if (to === "retired") await stopRenewals(ctx, listingId);
  return changed;
}

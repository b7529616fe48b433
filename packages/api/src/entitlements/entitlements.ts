import type { Subject } from "@memstore/core";
import type { EntitlementRow } from "@memstore/db";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { entitlementPage } from "./queries.ts";

export function entitlementView(e: EntitlementRow) {
  return {
    id: e.id,
    listing_id: e.listingId,
    source: e.source,
    offer_id: e.offerId,
    state: e.state,
    valid_from: e.validFrom.toISOString(),
    current_period_end: e.currentPeriodEnd?.toISOString() ?? null,
    cancel_at_period_end: e.cancelAtPeriodEnd,
    valid_until: e.validUntil?.toISOString() ?? null,
    revoked_at: e.revokedAt?.toISOString() ?? null,
    revoked_reason: e.revokedReason,
  };
}

/** The caller organisation's entitlements, newest first. */
export async function listEntitlements(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "store.read");
  const rows = await entitlementPage(ctx.db, { orgId: subject.orgId, page });
  return toPage(authorizedRows(subject, "store.read", rows, orgOf).map(entitlementView), page);
}

/** When an entitlement granted at `from` ends under these terms: after `valid_days`, or never. */
export function validUntilOf(terms: { valid_days?: number }, from: Date): Date | null {
  return terms.valid_days ? new Date(from.getTime() + terms.valid_days * 86_400_000) : null;
}

import { type EntitlementRow, entitlements, type Executor, sql } from "@memstore/db";
import type { Subject } from "@memstore/core";
import { and, desc, eq } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, readPage, toPage } from "../kernel/pagination.ts";

/**
 * The organisation's entitlement to a listing that decides: its newest usable one, else its newest
 * ended one (so the policy can say the entitlement is inactive rather than missing).
 */
export async function latestEntitlement(db: Executor, orgId: string, listingId: string) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.orgId, orgId), eq(entitlements.listingId, listingId)))
    .orderBy(
      sql`${entitlements.revokedAt} is null and ${entitlements.state} in ('active', 'trialing', 'past_due') desc`,
      desc(entitlements.createdAt),
    )
    .limit(1);
  return row ?? null;
}

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
  const rows = await readPage(
    ctx.db
      .select()
      .from(entitlements)
      .where(eq(entitlements.orgId, subject.orgId))
      .orderBy(desc(entitlements.createdAt), desc(entitlements.id))
      .$dynamic(),
    page,
  );
  return toPage(authorizedRows(subject, "store.read", rows, orgOf).map(entitlementView), page);
}

/** When an entitlement granted at `from` ends under these terms: after `valid_days`, or never. */
export function validUntilOf(terms: { valid_days?: number }, from: Date): Date | null {
  return terms.valid_days ? new Date(from.getTime() + terms.valid_days * 86_400_000) : null;
}

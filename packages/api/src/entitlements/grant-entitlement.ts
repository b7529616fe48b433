import { type EntitlementSource, type EntitlementState, newId } from "@memstore/core";
import { type EntitlementRow, entitlements, type Executor, type Tx, sql } from "@memstore/db";
import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { resumeSuspendedInstalls } from "./entitlements.ts";

/** The rows the one-live-entitlement index covers (`entitlements_one_live_uq`): held, not ended. */
const LIVE = sql`revoked_at is null and state in ('active', 'trialing', 'past_due')`;

export type NewEntitlement = {
  orgId: string;
  listingId: string;
  source: EntitlementSource;
  state?: EntitlementState;
  offerId?: string | null;
  validFrom: Date;
  validUntil: Date | null;
  checkoutSessionId?: string | null;
  subscriptionId?: string | null;
  currentPeriodEnd?: Date | null;
  cancelAtPeriodEnd?: boolean;
};

/**
 * Grants an organisation an entitlement to a listing, inside the caller's transaction: the one way
 * an entitlement row is written. The database holds one live entitlement per organisation and
 * listing, so of any number of grants racing (acquires, webhooks) one inserts and the others get
 * the row it made (`created: false`), which the caller answers with — or, for a payment, refunds.
 * A live row whose `valid_days` ran out before the expiry sweep saw it is expired first.
 */
export async function grantEntitlement(
  tx: Tx,
  grant: NewEntitlement,
  audit: { actor: string; data: Record<string, unknown> },
): Promise<{ row: EntitlementRow; created: boolean }> {
  await expireLapsed(tx, grant, audit.actor);
  const [created] = await tx
    .insert(entitlements)
    .values({ id: newId("ent"), state: "active", ...grant })
    .onConflictDoNothing({ target: [entitlements.orgId, entitlements.listingId], where: LIVE })
    .returning();
  if (!created) {
    const held = await liveEntitlement(tx, grant.orgId, grant.listingId, grant.validFrom);
    // The row in the way lapsed between the two statements: the grant is tried again.
    if (!held) throw new Error(`the live entitlement of ${grant.orgId} to ${grant.listingId} just lapsed`);
    return { row: held, created: false };
  }
  await resumeSuspendedInstalls(tx, grant.orgId, grant.listingId);
  await recordAudit(tx, {
    orgId: grant.orgId,
    actor: audit.actor,
    action: "entitlement.created",
    objectType: "entitlement",
    objectId: created.id,
    data: { listing_id: grant.listingId, source: grant.source, ...audit.data },
  });
  return { row: created, created: true };
}

/**
 * The organisation's live entitlement to the listing, if it holds one that has not lapsed by `now`
 * (one whose `valid_days` ran out before the expiry sweep saw it is held no more: buying again is
 * no duplicate).
 */
export async function liveEntitlement(db: Executor, orgId: string, listingId: string, now = new Date()) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(
      and(
        eq(entitlements.orgId, orgId),
        eq(entitlements.listingId, listingId),
        LIVE,
        or(isNull(entitlements.validUntil), gt(entitlements.validUntil, now)),
      ),
    );
  return row ?? null;
}

/**
 * Ends, as `expired`, a live entitlement whose dates ran out, so the grant that replaces it can be
 * written. The installs it would suspend are the ones the new grant resumes, so only the audit row
 * is written here; the sweep does the rest for entitlements nobody replaces.
 */
async function expireLapsed(tx: Tx, grant: NewEntitlement, actor: string) {
  const lapsed = await tx
    .update(entitlements)
    .set({ state: "expired" })
    .where(
      and(
        eq(entitlements.orgId, grant.orgId),
        eq(entitlements.listingId, grant.listingId),
        LIVE,
        lte(entitlements.validUntil, grant.validFrom),
      ),
    )
    .returning({ id: entitlements.id });
  for (const { id } of lapsed)
    await recordAudit(tx, {
      orgId: grant.orgId,
      actor,
      action: "entitlement.expired",
      objectType: "entitlement",
      objectId: id,
      data: { listing_id: grant.listingId, reason: "the license's valid_days ended" },
    });
}

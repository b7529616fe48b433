import {
  AppError,
  type EntitlementCause,
  entitlementMoveAllowed,
  type EntitlementSource,
  type EntitlementState,
  newId,
  notFound,
  USABLE_ENTITLEMENT_STATES,
} from "@memstore/core";
import { type EntitlementRow, entitlements, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type Ended, endEntitlementEffects, resumeSuspendedInstalls } from "./ending.ts";
import { lapsedEntitlements, listingAndOffer, LIVE, liveEntitlement } from "./queries.ts";

/**
 * The one writer of entitlements: every row is inserted by `grantEntitlement` and every change of
 * one made by `moveEntitlement`, each checked against the lifecycle table in @memstore/core
 * (`ENTITLEMENT_MOVES`); a move it does not list is a 409. Ending one (installs suspended, audit,
 * `entitlement.revoked`, copies deleted) and coming back (installs resumed) happen here too.
 */

export type NewEntitlement = {
  /** What grants it: one of the lifecycle's moves from no entitlement. */
  cause: EntitlementCause;
  orgId: string;
  listingId: string;
  source: EntitlementSource;
  state?: EntitlementState;
  offerId?: string | null;
  validFrom: Date;
  validUntil: Date | null;
  checkoutSessionId?: string | null;
  stripeSubscriptionId?: string | null;
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
  const { cause, ...values } = grant;
  const state = grant.state ?? "active";
  if (!entitlementMoveAllowed(cause, null, state))
    throw new AppError("conflict", `an entitlement is not granted ${state} by ${cause}`);
  await expireLapsed(tx, grant, audit.actor);
  const [created] = await tx
    .insert(entitlements)
    .values({ id: newId("ent"), ...values, state })
    .onConflictDoNothing({ target: [entitlements.orgId, entitlements.listingId], where: LIVE })
    .returning();
  if (!created) {
    const held = await liveEntitlement(tx, {
      orgId: grant.orgId,
      listingId: grant.listingId,
      now: grant.validFrom,
    });
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

export type Move = {
  cause: EntitlementCause;
  /** The state it reaches; unchanged when left out (a change of its dates or renewal alone). */
  to?: EntitlementState;
  /** Its dates and renewal, as the move sets them. */
  set?: Partial<Pick<EntitlementRow, "currentPeriodEnd" | "cancelAtPeriodEnd" | "checkoutSessionId">>;
  actor: string;
  /** Why it ends, for the audit logs and the holder's event (a revoke's, an expiry's, Stripe's). */
  reason?: string;
  /** Only when the grant written in the same transaction takes its place: no ending's effects. */
  replaced?: boolean;
};

const usable = (state: EntitlementState) => USABLE_ENTITLEMENT_STATES.includes(state);

/**
 * Moves an entitlement, locked for the rest of the caller's transaction, as the lifecycle table
 * allows `cause` to (409 otherwise, and for one already revoked). Leaving the usable states ends
 * it; coming back to them resumes the installs it suspended. Returns the
 * row and what ending it leaves for after the commit (see `afterEntitlementEnded`).
 */
export async function moveEntitlement(
  tx: Tx,
  id: string,
  move: Move,
): Promise<{ row: EntitlementRow; ended: Ended | null }> {
  const [held] = await tx.select().from(entitlements).where(eq(entitlements.id, id)).for("update");
  if (!held) notFound("entitlement");
  const to = move.to ?? held.state;
  if (held.revokedAt) throw new AppError("conflict", "the entitlement is already revoked");
  if (!entitlementMoveAllowed(move.cause, held.state, to))
    throw new AppError(
      "conflict",
      `an entitlement that is ${held.state} cannot become ${to} by ${move.cause}`,
    );
  const [row] = await tx
    .update(entitlements)
    .set({
      state: to,
      ...move.set,
      ...(to === "revoked" && { revokedAt: new Date(), revokedReason: move.reason ?? null }),
    })
    .where(eq(entitlements.id, id))
    .returning();
  // Leaving the usable states ends it; so does reaching a final state from an ended one (a canceled
  // subscription expiring, an expired license revoked): each is audited and announced.
  const ends = !usable(to) && (usable(held.state) || to === "revoked" || to === "expired");
  if (ends && !move.replaced) {
    const { listing } = await listingAndOffer(tx, { listingId: held.listingId });
    const why = { actor: move.actor, reason: move.reason ?? move.cause, refunded: move.cause === "refund" };
    return { row: row!, ended: await endEntitlementEffects(tx, row!, listing!, why) };
  }
  if (!usable(held.state) && usable(to)) await resumeSuspendedInstalls(tx, held.orgId, held.listingId);
  return { row: row!, ended: null };
}

/**
 * Ends, as `expired`, a live entitlement whose dates ran out, so the grant that replaces it can be
 * written. The installs it would suspend are the ones the new grant resumes, so only the audit row
 * is written here; the sweep does the rest for entitlements nobody replaces.
 */
async function expireLapsed(tx: Tx, grant: NewEntitlement, actor: string) {
  const lapsed = await lapsedEntitlements(tx, {
    orgId: grant.orgId,
    listingId: grant.listingId,
    now: grant.validFrom,
  });
  for (const { id } of lapsed) {
    await moveEntitlement(tx, id, { cause: "expiry", to: "expired", actor, replaced: true });
    await recordAudit(tx, {
      orgId: grant.orgId,
      actor,
      action: "entitlement.expired",
      objectType: "entitlement",
      objectId: id,
      data: { listing_id: grant.listingId, reason: "the license's valid_days ended" },
    });
  }
}

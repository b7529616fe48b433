import { USABLE_ENTITLEMENT_STATES } from "@memstore/core";
import {
  cubes,
  entitlements,
  type Executor,
  listings,
  offers,
  paymentEvents,
  queryRows,
  sales,
  sql,
} from "@memstore/db";
import { and, desc, eq, gt, inArray, isNotNull, isNull, lte, ne, or } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of entitlements, each `fn(db, { … })` with the organisation (or the listing's
 * publisher) it is scoped to named in its arguments: the services authorize, then read through
 * these, and other folders (the store, vaults, events) ask them too. Only the writer
 * (lifecycle.ts) touches the table besides, locking the row it moves.
 */

/** The rows the one-live-entitlement index covers (`entitlements_one_live_uq`): held, not ended. */
export const LIVE = sql`revoked_at is null and state in ('active', 'trialing', 'past_due')`;

/**
 * The organisation's entitlement to a listing that decides: its newest usable one, else its newest
 * ended one (so the policy can say the entitlement is inactive rather than missing).
 */
export async function latestEntitlement(db: Executor, at: { orgId: string; listingId: string }) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.orgId, at.orgId), eq(entitlements.listingId, at.listingId)))
    .orderBy(
      sql`${entitlements.revokedAt} is null and ${entitlements.state} in ('active', 'trialing', 'past_due') desc`,
      desc(entitlements.createdAt),
    )
    .limit(1);
  return row ?? null;
}

/** The organisation's held, not ended, entitlements to the listing: the conditions the reads below share. */
const liveTo = (at: { orgId: string; listingId: string }) => [
  eq(entitlements.orgId, at.orgId),
  eq(entitlements.listingId, at.listingId),
  LIVE,
];

/**
 * The organisation's live entitlement to the listing, if it holds one that has not lapsed by `now`
 * (one whose `valid_days` ran out before the expiry sweep saw it is held no more: buying again is
 * no duplicate).
 */
export async function liveEntitlement(db: Executor, at: { orgId: string; listingId: string; now?: Date }) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(
      and(
        ...liveTo(at),
        or(isNull(entitlements.validUntil), gt(entitlements.validUntil, at.now ?? new Date())),
      ),
    );
  return row ?? null;
}

/** The organisation's live entitlements to the listing whose dates ran out by `at` (a grant replaces them). */
export function lapsedEntitlements(db: Executor, at: { orgId: string; listingId: string; now: Date }) {
  return db
    .select({ id: entitlements.id })
    .from(entitlements)
    .where(and(...liveTo(at), lte(entitlements.validUntil, at.now)));
}

/** One page of the organisation's entitlements, newest first. */
export function entitlementPage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(entitlements)
      .where(eq(entitlements.orgId, at.orgId))
      .orderBy(desc(entitlements.createdAt), desc(entitlements.id))
      .$dynamic(),
    at.page,
  );
}

/** One of the organisation's entitlements, by id. */
export async function heldEntitlement(db: Executor, at: { orgId: string; entitlementId: string }) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.id, at.entitlementId), eq(entitlements.orgId, at.orgId)));
  return row ?? null;
}

/** An entitlement to one of the publisher's listings, by id, with that listing. */
export async function soldEntitlement(db: Executor, at: { sellerOrgId: string; entitlementId: string }) {
  const [found] = await db
    .select({ entitlement: entitlements, listing: listings })
    .from(entitlements)
    .innerJoin(listings, eq(listings.id, entitlements.listingId))
    .where(and(eq(entitlements.id, at.entitlementId), eq(listings.orgId, at.sellerOrgId)));
  return found ?? null;
}

/** The listing's running subscriptions: usable, renewing, with a subscription at Stripe. */
export function renewingEntitlements(db: Executor, at: { listingId: string }) {
  return db
    .select()
    .from(entitlements)
    .where(
      and(
        eq(entitlements.listingId, at.listingId),
        eq(entitlements.cancelAtPeriodEnd, false),
        inArray(entitlements.state, [...USABLE_ENTITLEMENT_STATES]),
        isNotNull(entitlements.stripeSubscriptionId),
      ),
    );
}

/** Entitlements whose `valid_days` ran out by `now` and that the sweep has not ended yet (at most `limit`). */
export function dueForExpiry(db: Executor, at: { now: Date; limit: number }) {
  return db
    .select({ id: entitlements.id })
    .from(entitlements)
    .where(
      and(
        isNull(entitlements.revokedAt),
        ne(entitlements.state, "expired"),
        lte(entitlements.validUntil, at.now),
      ),
    )
    .limit(at.limit);
}

/** The entitlement a Stripe subscription pays for, locked for the caller's transaction when asked. */
export async function entitlementOfSubscription(
  db: Executor,
  at: { stripeSubscriptionId: string; lock?: boolean },
) {
  const query = db
    .select()
    .from(entitlements)
    .where(eq(entitlements.stripeSubscriptionId, at.stripeSubscriptionId));
  const [row] = at.lock ? await query.for("update") : await query;
  return row ?? null;
}

/** An entitlement by id, whoever holds it (the expiry sweep's own read). */
export async function entitlementById(db: Executor, at: { id: string }) {
  const [row] = await db.select().from(entitlements).where(eq(entitlements.id, at.id));
  return row ?? null;
}

/** The entitlement a Stripe subscription pays for, with the publisher its sales go to. */
export async function subscriptionHolder(db: Executor, at: { stripeSubscriptionId: string }) {
  const [held] = await db
    .select({ entitlement: entitlements, sellerOrgId: listings.orgId })
    .from(entitlements)
    .innerJoin(listings, eq(listings.id, entitlements.listingId))
    .where(eq(entitlements.stripeSubscriptionId, at.stripeSubscriptionId));
  return held ?? null;
}

/** The organisation's entitlements (the newest `limit`) with their listing's title and price, for its Billing page. */
export function billedEntitlements(db: Executor, at: { orgId: string; limit: number }) {
  return db
    .select({ entitlement: entitlements, title: cubes.title, pricing: listings.pricing })
    .from(entitlements)
    .innerJoin(listings, eq(listings.id, entitlements.listingId))
    .innerJoin(cubes, eq(cubes.id, listings.cubeId))
    .where(eq(entitlements.orgId, at.orgId))
    .orderBy(desc(entitlements.createdAt), desc(entitlements.id))
    .limit(at.limit);
}

/** A listing and, when an entitlement to it came from one, the private offer (null when none or gone). */
export async function listingAndOffer(db: Executor, at: { listingId: string; offerId?: string | null }) {
  const [listing] = await db.select().from(listings).where(eq(listings.id, at.listingId));
  const [offer] = at.offerId ? await db.select().from(offers).where(eq(offers.id, at.offerId)) : [];
  return { listing: listing ?? null, offer: offer ?? null };
}

/** The entitlement's latest payment not refunded: a purchase's only one, a subscription's current period. */
export async function latestUnrefundedSale(db: Executor, at: { entitlementId: string }) {
  const [sale] = await db
    .select()
    .from(sales)
    .where(and(eq(sales.entitlementId, at.entitlementId), isNull(sales.refundedAt)))
    .orderBy(desc(sales.createdAt))
    .limit(1);
  return sale ?? null;
}

/** What the organisation paid, not refunded, per entitlement and currency (cents as Postgres's digits). */
export function paidPerEntitlement(db: Executor, at: { buyerOrgId: string }) {
  return queryRows<{ entitlement_id: string | null; currency: string; cents: string }>(
    db,
    sql`select entitlement_id, currency, sum(amount_cents)::text as cents from sales
        where buyer_org_id = ${at.buyerOrgId} and refunded_at is null group by 1, 2`,
  );
}

/** A Stripe event as stored when its webhook arrived, and whether it was applied. */
export async function storedPaymentEvent(db: Executor, at: { eventId: string }) {
  const [row] = await db.select().from(paymentEvents).where(eq(paymentEvents.id, at.eventId));
  return row ?? null;
}

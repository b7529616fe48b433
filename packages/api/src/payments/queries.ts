import {
  type EntitlementSource,
  type EntitlementState,
  type UsagePricing,
  USABLE_ENTITLEMENT_STATES,
} from "@memstore/core";
import {
  billingCustomers,
  type CheckoutRow,
  checkouts,
  type Executor,
  listingPrices,
  listings,
  payoutAccounts,
  queryRows,
  sql,
} from "@memstore/db";
import { and, desc, eq, gt, isNotNull, isNull } from "drizzle-orm";
import { decodeCursor, type PageQuery } from "../kernel/pagination.ts";

/**
 * The reads of payments, each `fn(db, { orgId, … })`: checkouts, Stripe customers and prices,
 * payout accounts, and the publisher's sales, holders and transfers. Sums of cents come back as
 * Postgres's digits (text); the services turn them into exact integers.
 */

/** The time a buyer is left to pay in a session it is sent back to; one closer to expiry is not reused. */
const PAYING_TIME_MS = 30 * 60_000;

/** A buyer's session left open long enough to pay in, for the same listing, offer and price. */
export async function openCheckout(
  db: Executor,
  ask: Pick<CheckoutRow, "orgId" | "listingId" | "offerId" | "mode" | "amountCents" | "currency">,
) {
  const [open] = await db
    .select()
    .from(checkouts)
    .where(
      and(
        eq(checkouts.orgId, ask.orgId),
        eq(checkouts.listingId, ask.listingId),
        ask.offerId ? eq(checkouts.offerId, ask.offerId) : isNull(checkouts.offerId),
        eq(checkouts.status, "open"),
        eq(checkouts.mode, ask.mode),
        eq(checkouts.amountCents, ask.amountCents),
        eq(checkouts.currency, ask.currency),
        isNotNull(checkouts.url),
        gt(checkouts.expiresAt, new Date(Date.now() + PAYING_TIME_MS)),
      ),
    )
    .orderBy(desc(checkouts.createdAt))
    .limit(1);
  return open ?? null;
}

/** A checkout by its Stripe session id. */
export async function checkoutById(db: Executor, at: { sessionId: string }) {
  const [row] = await db.select().from(checkouts).where(eq(checkouts.id, at.sessionId));
  return row ?? null;
}

/** The organisation's Stripe customer id, once it has bought. */
export async function stripeCustomerOf(db: Executor, at: { orgId: string }) {
  const [row] = await db.select().from(billingCustomers).where(eq(billingCustomers.orgId, at.orgId));
  return row?.stripeCustomerId ?? null;
}

/** The listing's Stripe price for one pricing (by its canonical key), or, without a key, any of its prices. */
export async function listingPrice(db: Executor, at: { listingId: string; pricingKey?: string }) {
  const [row] = await db
    .select()
    .from(listingPrices)
    .where(
      and(
        eq(listingPrices.listingId, at.listingId),
        at.pricingKey === undefined ? undefined : eq(listingPrices.pricingKey, at.pricingKey),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** The organisation's payout account (Stripe Connect), once it opened one. */
export async function payoutAccountOf(db: Executor, at: { orgId: string }) {
  const [row] = await db.select().from(payoutAccounts).where(eq(payoutAccounts.orgId, at.orgId));
  return row ?? null;
}

/** One of the organisation's own listings, by id: the listing it sells, or null. */
export async function sellerListing(db: Executor, at: { orgId: string; listingId: string }) {
  const [row] = await db
    .select({ id: listings.id, orgId: listings.orgId })
    .from(listings)
    .where(and(eq(listings.id, at.listingId), eq(listings.orgId, at.orgId)));
  return row ?? null;
}

export type SalesDayRow = {
  listing_id: string;
  day: string;
  currency: string | null;
  revenue_cents: string;
  fees_cents: string;
  refunded_cents: string;
  new: number;
  active: number;
  canceled: number;
  calls: string;
  bytes: string;
  /** Questions other organisations asked it before buying (try before you buy), those it answered, and by how many. */
  preview_questions: number;
  preview_answered: number;
  preview_orgs: number;
};

/**
 * A publisher's sales per own listing and UTC day, `from` to `to` both included: revenue, fees and
 * refunds, entitlements new, active at the day's end and ended that day (its own left out), and the
 * agent calls and bytes its holders' installs used.
 */
export function salesPerDay(db: Executor, at: { orgId: string; from: string; to: string }) {
  const { orgId, from, to } = at;
  return queryRows<SalesDayRow>(
    db,
    sql`with days as (select d::date as day from generate_series(${from}::date, ${to}::date, interval '1 day') d),
        own as (select id from listings where org_id = ${orgId}),
        sold as (select listing_id, (created_at at time zone 'UTC')::date as day, min(currency) as currency,
                   sum(amount_cents) as revenue, sum(fee_cents) as fees
                 from sales where seller_org_id = ${orgId} group by 1, 2),
        refunded as (select listing_id, (refunded_at at time zone 'UTC')::date as day, sum(amount_cents) as refunded
                     from sales where seller_org_id = ${orgId} and refunded_at is not null group by 1, 2),
        used as (select i.listing_id, u.day, sum(u.calls) as calls, sum(u.bytes) as bytes
                 from usage_daily u join installs i on i.id = u.install_id
                 where i.listing_id in (select id from own) and u.day between ${from}::date and ${to}::date
                 group by 1, 2),
        tried as (select listing_id, day, sum(questions) as questions, sum(answered) as answered,
                    count(*) as orgs
                  from listing_previews
                  where listing_id in (select id from own) and org_id <> ${orgId}
                    and day between ${from}::date and ${to}::date
                  group by 1, 2)
      select own.id as listing_id, to_char(days.day, 'YYYY-MM-DD') as day, sold.currency,
        coalesce(sold.revenue, 0)::text as revenue_cents, coalesce(sold.fees, 0)::text as fees_cents,
        coalesce(refunded.refunded, 0)::text as refunded_cents,
        (select count(*)::int from entitlements e where e.listing_id = own.id and e.org_id <> ${orgId}
           and (e.created_at at time zone 'UTC')::date = days.day) as new,
        (select count(*)::int from entitlements e where e.listing_id = own.id and e.org_id <> ${orgId}
           and (e.created_at at time zone 'UTC')::date <= days.day
           and (e.revoked_at is null or (e.revoked_at at time zone 'UTC')::date > days.day)) as active,
        (select count(*)::int from entitlements e where e.listing_id = own.id and e.org_id <> ${orgId}
           and (e.revoked_at at time zone 'UTC')::date = days.day) as canceled,
        coalesce(used.calls, 0)::text as calls, coalesce(used.bytes, 0)::text as bytes,
        coalesce(tried.questions, 0)::int as preview_questions,
        coalesce(tried.answered, 0)::int as preview_answered,
        coalesce(tried.orgs, 0)::int as preview_orgs
      from own cross join days
      left join sold on sold.listing_id = own.id and sold.day = days.day
      left join refunded on refunded.listing_id = own.id and refunded.day = days.day
      left join used on used.listing_id = own.id and used.day = days.day
      left join tried on tried.listing_id = own.id and tried.day = days.day
      order by days.day, own.id`,
  );
}

export type HolderRow = {
  id: string;
  org_slug: string;
  org_name: string;
  source: EntitlementSource;
  state: EntitlementState;
  created_at: string;
  current_period_end: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  calls_30d: string;
};

/**
 * One page (`limit + 1` rows from the cursor's offset) of who holds a seller's listing: each
 * entitlement of another organisation, newest first, with its calls in the last 30 days.
 */
export function holderPage(db: Executor, at: { sellerOrgId: string; listingId: string; page: PageQuery }) {
  return queryRows<HolderRow>(
    db,
    sql`select e.id, o.slug as org_slug, o.name as org_name, e.source, e.state,
          to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
          to_char(e.current_period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as current_period_end,
          to_char(e.revoked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as revoked_at, e.revoked_reason,
          coalesce((select sum(u.calls) from usage_daily u join installs i on i.id = u.install_id
                    where i.org_id = e.org_id and i.listing_id = e.listing_id
                      and u.day > (now() at time zone 'UTC')::date - 30), 0)::text as calls_30d
        from entitlements e join organizations o on o.id = e.org_id
        where e.listing_id = ${at.listingId} and e.org_id <> ${at.sellerOrgId}
        order by e.created_at desc, e.id desc
        limit ${at.page.limit + 1} offset ${decodeCursor(at.page.cursor)}`,
  );
}

export type SaleRow = {
  sale_id: string;
  listing_id: string;
  created_at: string;
  currency: string;
  amount_cents: string;
  fee_cents: string;
  destination_account: string | null;
  refunded_at: string | null;
};

/** The seller's latest sales, newest first: what each paid, the fee, where the share went, a refund. */
export function latestSales(db: Executor, at: { sellerOrgId: string; limit: number }) {
  return queryRows<SaleRow>(
    db,
    sql`select id as sale_id, listing_id, created_at::text, currency, amount_cents::text, fee_cents::text,
          destination_account, refunded_at::text
        from sales where seller_org_id = ${at.sellerOrgId} order by created_at desc, id desc limit ${at.limit}`,
  );
}

export type MeteredRow = {
  entitlement_id: string;
  listing_id: string;
  pricing: UsagePricing;
  customer: string;
  calls: string;
};

/**
 * Every live Stripe subscription to a usage-priced listing, with its customer and its calls in the
 * UTC month `YYYY-MM` (from the month's first day, or the entitlement's start if later).
 */
export function meteredSubscriptions(db: Executor, at: { month: string }) {
  const first = `${at.month}-01`;
  return queryRows<MeteredRow>(
    db,
    sql`select e.id as entitlement_id, e.listing_id, l.pricing, bc.stripe_customer_id as customer,
          coalesce((select sum(u.calls) from license_usage u
                    where u.org_id = e.org_id and u.listing_id = e.listing_id
                      and u.day >= greatest(${first}::date, (e.valid_from at time zone 'UTC')::date)
                      and u.day < ${first}::date + interval '1 month'), 0)::text as calls
        from entitlements e
        join listings l on l.id = e.listing_id
        join billing_customers bc on bc.org_id = e.org_id
        where e.stripe_subscription_id is not null and e.revoked_at is null and l.pricing->>'model' = 'usage'
          and e.state = any(${sql.param([...USABLE_ENTITLEMENT_STATES])}::text[])`,
  );
}

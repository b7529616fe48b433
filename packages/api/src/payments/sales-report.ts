import { AppError, notFound, type Subject } from "@memstore/core";
import { listings, queryRows, sql } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { decodeCursor, type PageQuery, toPage } from "../kernel/pagination.ts";

/** A UTC day MemStore could have sold on: from 2000 to 9998 (Postgres has no year 0). */
const day = z.iso
  .date()
  .refine((d) => d >= "2000-01-01" && d <= "9998-12-31", "a day between 2000-01-01 and 9998-12-31");
/** A report's days, UTC, both ends included: the last 30 unless asked, at most 366. */
export const salesQuery = z.object({ from: day.optional(), to: day.optional() }).strict();

const DAY_MS = 86_400_000;

export function reportRange(query: z.infer<typeof salesQuery>): { from: string; to: string } {
  const to = query.to ?? new Date().toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw new AppError("invalid_input", "from must not be after to");
  if (days > 366) throw new AppError("invalid_input", "a report covers at most 366 days");
  return { from, to };
}

/** A sum of cents as Postgres returns it (a bigint's digits): a safe integer, or an error, never a float. */
export const exactInteger = (value: string | number | null): number => {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`a money sum outside the safe integers: ${value}`);
  return n;
};

type SalesRow = {
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
};

/**
 * The publisher's sales per listing and UTC day: revenue, the platform's fees and refunds in integer
 * cents (each in its sale's currency), entitlements new, active at the day's end and ended that day,
 * and the agent calls and bytes its holders' installs used.
 */
export async function salesReport(ctx: AppContext, subject: Subject, query: z.infer<typeof salesQuery>) {
  authorize(subject, "listing.write");
  const { from, to } = reportRange(query);
  const rows = await queryRows<SalesRow>(
    ctx.db,
    sql`with days as (select d::date as day from generate_series(${from}::date, ${to}::date, interval '1 day') d),
        own as (select id from listings where org_id = ${subject.orgId}),
        sold as (select listing_id, (created_at at time zone 'UTC')::date as day, min(currency) as currency,
                   sum(amount_cents) as revenue, sum(fee_cents) as fees
                 from sales where seller_org_id = ${subject.orgId} group by 1, 2),
        refunded as (select listing_id, (refunded_at at time zone 'UTC')::date as day, sum(amount_cents) as refunded
                     from sales where seller_org_id = ${subject.orgId} and refunded_at is not null group by 1, 2),
        used as (select i.listing_id, u.day, sum(u.calls) as calls, sum(u.bytes) as bytes
                 from usage_daily u join installs i on i.id = u.install_id
                 where i.listing_id in (select id from own) and u.day between ${from}::date and ${to}::date
                 group by 1, 2)
      select own.id as listing_id, to_char(days.day, 'YYYY-MM-DD') as day, sold.currency,
        coalesce(sold.revenue, 0)::text as revenue_cents, coalesce(sold.fees, 0)::text as fees_cents,
        coalesce(refunded.refunded, 0)::text as refunded_cents,
        (select count(*)::int from entitlements e where e.listing_id = own.id and e.org_id <> ${subject.orgId}
           and (e.created_at at time zone 'UTC')::date = days.day) as new,
        (select count(*)::int from entitlements e where e.listing_id = own.id and e.org_id <> ${subject.orgId}
           and (e.created_at at time zone 'UTC')::date <= days.day
           and (e.revoked_at is null or (e.revoked_at at time zone 'UTC')::date > days.day)) as active,
        (select count(*)::int from entitlements e where e.listing_id = own.id and e.org_id <> ${subject.orgId}
           and (e.revoked_at at time zone 'UTC')::date = days.day) as canceled,
        coalesce(used.calls, 0)::text as calls, coalesce(used.bytes, 0)::text as bytes
      from own cross join days
      left join sold on sold.listing_id = own.id and sold.day = days.day
      left join refunded on refunded.listing_id = own.id and refunded.day = days.day
      left join used on used.listing_id = own.id and used.day = days.day
      order by days.day, own.id`,
  );
  return {
    from,
    to,
    items: rows.map((r) => ({
      listing_id: r.listing_id,
      day: r.day,
      currency: r.currency,
      revenue_cents: exactInteger(r.revenue_cents),
      fees_cents: exactInteger(r.fees_cents),
      refunded_cents: exactInteger(r.refunded_cents),
      new: r.new,
      active: r.active,
      canceled: r.canceled,
      agent_calls: exactInteger(r.calls),
      bytes_served: exactInteger(r.bytes),
    })),
  };
}

/** Who holds one of the publisher's listings: each entitlement with its organisation, state and calls in 30 days. */
export async function listingHolders(ctx: AppContext, subject: Subject, listingId: string, page: PageQuery) {
  authorize(subject, "listing.write");
  // The request's own faults first: a broken cursor is a 400 whatever the listing.
  const offset = decodeCursor(page.cursor);
  const [listing] = await ctx.db
    .select({ id: listings.id, orgId: listings.orgId })
    .from(listings)
    .where(and(eq(listings.id, listingId), eq(listings.orgId, subject.orgId)));
  if (!listing) notFound("listing");
  authorize(subject, "listing.write", { orgId: listing.orgId });
  const rows = await queryRows<{
    id: string;
    org_slug: string;
    org_name: string;
    source: string;
    state: string;
    created_at: string;
    current_period_end: string | null;
    revoked_at: string | null;
    revoked_reason: string | null;
    calls_30d: string;
  }>(
    ctx.db,
    sql`select e.id, o.slug as org_slug, o.name as org_name, e.source, e.state,
          to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
          to_char(e.current_period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as current_period_end,
          to_char(e.revoked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as revoked_at, e.revoked_reason,
          coalesce((select sum(u.calls) from usage_daily u join installs i on i.id = u.install_id
                    where i.org_id = e.org_id and i.listing_id = e.listing_id
                      and u.day > (now() at time zone 'UTC')::date - 30), 0)::text as calls_30d
        from entitlements e join organizations o on o.id = e.org_id
        where e.listing_id = ${listing.id} and e.org_id <> ${listing.orgId}
        order by e.created_at desc, e.id desc
        limit ${page.limit + 1} offset ${offset}`,
  );
  return toPage(
    rows.map((r) => ({
      id: r.id,
      organization: { slug: r.org_slug, name: r.org_name },
      source: r.source,
      state: r.state,
      created_at: r.created_at,
      current_period_end: r.current_period_end,
      revoked_at: r.revoked_at,
      revoked_reason: r.revoked_reason,
      calls_30d: exactInteger(r.calls_30d),
    })),
    page,
  );
}

import { type Subject, type UsagePricing, usageCharge } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import type { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { reportRange, salesQuery } from "../payments/sales-report.ts";

/** `?from=&to=`: UTC days, both ends included; the last 30 unless asked, at most 366. */
export const usageQuery = salesQuery;

type UsageRow = {
  day: string;
  install_id: string;
  vault_id: string;
  org_id: string;
  listing_id: string;
  cube: string;
  pricing: { model: string; currency?: string } & UsagePricing;
  calls: string;
  bytes: string;
};

/**
 * The subscriber's agent calls per install and UTC day, the bytes its payload downloads served, and
 * for usage-priced listings what the calls cost: each listing's month is charged as Stripe bills it
 * (included calls free, each started 1,000 charged, the cap stops charges), and a day's spend is
 * what its calls added to the month's charge, taken in order of day and install — so a month's
 * days add up to its invoice to the cent. What the organisation spends is its own: a key bound to a
 * vault is refused it.
 */
export async function subscriberUsage(ctx: AppContext, subject: Subject, query: z.infer<typeof usageQuery>) {
  authorize(subject, "usage.read");
  const { from, to } = reportRange(query);
  const rows = await queryRows<UsageRow>(
    ctx.db,
    sql`select to_char(u.day, 'YYYY-MM-DD') as day, u.install_id, i.vault_id, i.org_id, i.listing_id,
          c.slug as cube, l.pricing, sum(u.calls)::text as calls, sum(u.bytes)::text as bytes
        from usage_daily u
        join installs i on i.id = u.install_id
        join listings l on l.id = i.listing_id
        join cubes c on c.id = i.cube_id
        where u.org_id = ${subject.orgId} and i.org_id = ${subject.orgId}
          and u.day between date_trunc('month', ${from}::date)::date and ${to}::date
        group by u.day, u.install_id, i.vault_id, i.org_id, i.listing_id, c.slug, l.pricing
        order by u.day, u.install_id`,
  );
  // The month so far, per listing: spend is charged from the month's first day, even before `from`.
  const month = new Map<string, number>();
  const items = [];
  for (const row of authorizedRows(subject, "usage.read", rows, (r) => orgOf({ orgId: r.org_id }))) {
    const calls = Number(row.calls);
    let spend: number | null = null;
    if (row.pricing.model === "usage") {
      const key = `${row.listing_id}:${row.day.slice(0, 7)}`;
      const before = month.get(key) ?? 0;
      month.set(key, before + calls);
      spend = usageCharge(row.pricing, before + calls) - usageCharge(row.pricing, before);
    }
    if (row.day < from) continue;
    items.push({
      day: row.day,
      install_id: row.install_id,
      vault_id: row.vault_id,
      listing_id: row.listing_id,
      cube: row.cube,
      pricing_model: row.pricing.model,
      calls,
      bytes: Number(row.bytes),
      spend_cents: spend,
      currency: spend === null ? null : (row.pricing.currency ?? null),
    });
  }
  const totals = new Map<string, number>();
  for (const item of items)
    if (item.spend_cents !== null && item.currency)
      totals.set(item.currency, (totals.get(item.currency) ?? 0) + item.spend_cents);
  return {
    from,
    to,
    items,
    spend: [...totals].map(([currency, cents]) => ({ currency, spend_cents: cents })),
  };
}

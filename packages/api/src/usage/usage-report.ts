import { type Subject, usageCharge } from "@memstore/core";
import type { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { reportRange, salesQuery } from "../payments/sales-report.ts";
import { usagePerInstallDay } from "./queries.ts";

/** `?from=&to=`: UTC days, both ends included; the last 30 unless asked, at most 366. */
export const usageQuery = salesQuery;

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
  const rows = await usagePerInstallDay(ctx.db, { orgId: subject.orgId, from, to });
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

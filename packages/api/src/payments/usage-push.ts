import { billableCalls, type UsagePricing, USABLE_ENTITLEMENT_STATES } from "@memstore/core";
import { queryRows, sql, usageReports } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { meterEventName } from "./checkout.ts";
import { stripeOf } from "./stripe-client.ts";

type Metered = {
  entitlement_id: string;
  listing_id: string;
  pricing: UsagePricing;
  customer: string;
  calls: string;
};

/**
 * Pushes the agent calls of usage-priced subscriptions to Stripe as meter events: for each live
 * entitlement, the month's calls (UTC; counted per organisation and listing with every search and
 * download) past the included ones and up to the cap are billable, and only what is billable past
 * what was reported before is sent — under a row lock, with an identifier and idempotency key
 * naming the month's total, so a retry or a second worker sends nothing twice. The cap stops
 * charges, not service: calls go on being served and counted. Returns how many events were sent.
 */
export async function pushUsageToStripe(ctx: AppContext, now = new Date()): Promise<number> {
  const stripe = stripeOf(ctx.config);
  if (!stripe) return 0;
  const month = now.toISOString().slice(0, 7);
  const rows = await queryRows<Metered>(
    ctx.db,
    sql`select e.id as entitlement_id, e.listing_id, l.pricing, bc.stripe_customer_id as customer,
          coalesce((select sum(u.calls) from license_usage u
                    where u.org_id = e.org_id and u.listing_id = e.listing_id
                      and u.day >= greatest(${`${month}-01`}::date, (e.valid_from at time zone 'UTC')::date)
                      and u.day < ${`${month}-01`}::date + interval '1 month'), 0)::text as calls
        from entitlements e
        join listings l on l.id = e.listing_id
        join billing_customers bc on bc.org_id = e.org_id
        where e.stripe_subscription_id is not null and e.revoked_at is null and l.pricing->>'model' = 'usage'
          and e.state = any(${sql.param([...USABLE_ENTITLEMENT_STATES])}::text[])`,
  );
  let sent = 0;
  for (const row of rows) {
    const calls = Number(row.calls);
    await ctx.db.transaction(async (tx) => {
      await tx
        .insert(usageReports)
        .values({ entitlementId: row.entitlement_id, month })
        .onConflictDoNothing();
      const where = and(eq(usageReports.entitlementId, row.entitlement_id), eq(usageReports.month, month));
      const [report] = await tx.select().from(usageReports).where(where).for("update");
      const billable = billableCalls(row.pricing, calls);
      const delta = billable - report!.reportedCalls;
      if (delta > 0) {
        const identifier = `${row.entitlement_id}-${month}-${billable}`;
        await stripe.billing.meterEvents.create(
          {
            event_name: meterEventName(row.listing_id),
            payload: { stripe_customer_id: row.customer, value: String(delta) },
            identifier,
            timestamp: Math.floor(now.getTime() / 1000),
          },
          { idempotencyKey: `memstore-meter-${identifier}` },
        );
        sent += 1;
      }
      await tx
        .update(usageReports)
        .set({ calls, reportedCalls: Math.max(billable, report!.reportedCalls), updatedAt: now })
        .where(where);
    });
  }
  return sent;
}

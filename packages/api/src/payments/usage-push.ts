import { billableCalls } from "@memstore/core";
import { usagePushes } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { meterEventName } from "./checkout.ts";
import { meteredSubscriptions } from "./queries.ts";
import { stripeOf } from "./stripe-client.ts";

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
  const rows = await meteredSubscriptions(ctx.db, { month });
  let sent = 0;
  for (const row of rows) {
    const calls = Number(row.calls);
    await ctx.db.transaction(async (tx) => {
      await tx.insert(usagePushes).values({ entitlementId: row.entitlement_id, month }).onConflictDoNothing();
      const where = and(eq(usagePushes.entitlementId, row.entitlement_id), eq(usagePushes.month, month));
      const [pushed] = await tx.select().from(usagePushes).where(where).for("update");
      const billable = billableCalls(row.pricing, calls);
      const delta = billable - pushed!.reportedCalls;
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
        .update(usagePushes)
        .set({ calls, reportedCalls: Math.max(billable, pushed!.reportedCalls), updatedAt: now })
        .where(where);
    });
  }
  return sent;
}

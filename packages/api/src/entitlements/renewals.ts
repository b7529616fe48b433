import { AppError } from "@memstore/core";
import { type ListingRow } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { priceOf } from "../payments/checkout.ts";
import type { Pricing } from "../payments/pricing.ts";
import { requireStripe } from "../payments/stripe-client.ts";
import { moveEntitlement } from "./lifecycle.ts";
import { renewingEntitlements } from "./queries.ts";

/**
 * A retired listing renews nothing: each running subscription to it is set to cancel at its period
 * end at Stripe (its entitlement follows through the webhook, and is marked here at once). Returns
 * how many were set.
 */
export async function stopRenewals(ctx: AppContext, listingId: string): Promise<number> {
  const running = await renewingEntitlements(ctx.db, { listingId });
  if (running.length === 0) return 0;
  const stripe = requireStripe(ctx);
  for (const row of running) {
    await stripe.subscriptions.update(
      row.stripeSubscriptionId!,
      { cancel_at_period_end: true },
      { idempotencyKey: `memstore-cancel-${row.id}` },
    );
    await ctx.db
      .transaction((tx) =>
        moveEntitlement(tx, row.id, {
          cause: "cancel_at_period_end",
          set: { cancelAtPeriodEnd: true },
          actor: "system:listing-retired",
        }),
      )
      // Ended meanwhile (canceled, revoked): it renews nothing either, and Stripe was told.
      .catch((error: unknown) => {
        if (!(error instanceof AppError && error.code === "conflict")) throw error;
      });
  }
  return running.length;
}

/**
 * A subscription listing's new price reaches its running subscriptions at their next renewal: each
 * subscription's item is moved to the new Stripe price without proration, so the period already
 * paid for stays as it was. Returns how many were moved.
 */
export async function repriceSubscriptions(
  ctx: AppContext,
  listing: ListingRow,
  pricing: Pricing & { model: "subscription" },
): Promise<number> {
  const running = await renewingEntitlements(ctx.db, { listingId: listing.id });
  if (running.length === 0) return 0;
  const stripe = requireStripe(ctx);
  const price = await priceOf(ctx, stripe, listing, pricing);
  for (const row of running) {
    const sub = await stripe.subscriptions.retrieve(row.stripeSubscriptionId!);
    const item = sub.items.data[0];
    if (!item || item.price.id === price) continue;
    await stripe.subscriptions.update(
      sub.id,
      { items: [{ id: item.id, price }], proration_behavior: "none" },
      { idempotencyKey: `memstore-reprice-${row.id}-${price}` },
    );
  }
  return running.length;
}

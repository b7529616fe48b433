import { AppError, notFound, type Subject, USABLE_ENTITLEMENT_STATES } from "@memstore/core";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { entitlementView } from "./entitlements.ts";
import { moveEntitlement } from "./lifecycle.ts";
import { requireStripe } from "../payments/stripe-client.ts";
import { heldEntitlement } from "./queries.ts";

/**
 * A subscriber cancels a subscription at the end of the period it paid for: Stripe is told first
 * (nothing changes here when that fails), the entitlement keeps working until `current_period_end`
 * and then ends with the subscription (its `customer.subscription.deleted` event). Asking twice
 * answers the same entitlement.
 */
export async function cancelEntitlement(ctx: AppContext, subject: Subject, entitlementId: string) {
  authorize(subject, "store.acquire");
  const row = await heldEntitlement(ctx.db, { orgId: subject.orgId, entitlementId });
  if (!row) notFound("entitlement");
  authorize(subject, "store.acquire", { orgId: row.orgId });
  if (!row.stripeSubscriptionId)
    throw new AppError(
      "conflict",
      `a ${row.source} entitlement does not renew, so there is nothing to cancel`,
    );
  if (!USABLE_ENTITLEMENT_STATES.includes(row.state))
    throw new AppError("conflict", `the entitlement has already ended (${row.state})`);
  if (row.cancelAtPeriodEnd) return entitlementView(row);
  const sub = await requireStripe(ctx).subscriptions.update(
    row.stripeSubscriptionId,
    { cancel_at_period_end: true },
    { idempotencyKey: `memstore-cancel-${row.id}` },
  );
  const periodEnd = sub.items.data[0]?.current_period_end;
  const updated = await ctx.db.transaction(async (tx) => {
    await recordAudit(tx, {
      orgId: row.orgId,
      actor: actorOf(subject),
      action: "entitlement.cancel_requested",
      objectType: "entitlement",
      objectId: row.id,
      data: {
        listing_id: row.listingId,
        subscription_id: row.stripeSubscriptionId,
        period_end: periodEnd ?? null,
      },
    });
    const moved = await moveEntitlement(tx, row.id, {
      cause: "cancel_at_period_end",
      set: { cancelAtPeriodEnd: true, ...(periodEnd && { currentPeriodEnd: new Date(periodEnd * 1000) }) },
      actor: actorOf(subject),
    });
    return moved.row;
  });
  return entitlementView(updated);
}

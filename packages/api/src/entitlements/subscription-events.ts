import {
  entitlementMoveAllowed,
  type EntitlementState,
  newId,
  platformFee,
  subscriptionCause,
  USABLE_ENTITLEMENT_STATES,
} from "@memstore/core";
import { sales, type Tx } from "@memstore/db";
import type Stripe from "stripe";
import type { Ended } from "./ending.ts";
import { validUntilOf } from "./entitlements.ts";
import { grantEntitlement, moveEntitlement } from "./lifecycle.ts";
import { type DuplicateRefund, HeldMeanwhile, recordDuplicateRefund } from "./duplicate-payments.ts";
import { entitlementOfSubscription, listingAndOffer, subscriptionHolder } from "./queries.ts";

/** What applying an event did, and what ending an entitlement leaves for after the commit. */
export type Applied = { outcome: string; ended?: Ended };

/** A Stripe subscription's status as an entitlement's state (null: not yet paid for). */
function stateOf(status: Stripe.Subscription.Status): EntitlementState | null {
  switch (status) {
    case "trialing":
      return "trialing";
    case "active":
      return "active";
    case "past_due":
      return "past_due";
    case "canceled":
    case "unpaid":
      return "canceled";
    case "incomplete_expired":
      return "expired";
    default:
      return null;
  }
}

const usable = (state: EntitlementState) => USABLE_ENTITLEMENT_STATES.includes(state);

const paymentFailed = (sub: Stripe.Subscription) =>
  sub.cancellation_details?.reason === "payment_failed" || sub.status === "unpaid";

function whyEnded(sub: Stripe.Subscription): string {
  const reason = sub.cancellation_details?.reason;
  if (paymentFailed(sub)) return "the subscription's renewal payment failed past its grace period";
  if (reason === "cancellation_requested") return "the subscription was canceled";
  return `the subscription is ${sub.status}`;
}

/**
 * Makes the entitlement behind a subscription say what the subscription says now (the caller
 * fetched it from Stripe as it stands, so an event that arrives late or twice brings nothing
 * stale): made when the subscription is first paid for or trialing, its state, period end and
 * cancellation following each change, and ended — installs suspended, events, audit — when the
 * subscription stops being usable; resumed if it becomes usable again.
 */
export async function syncSubscription(
  tx: Tx,
  sub: Stripe.Subscription,
  duplicate: DuplicateRefund | null,
  checkoutSessionId?: string,
): Promise<Applied> {
  const { listing_id: listingId, org_id: orgId, offer_id: offerId } = sub.metadata ?? {};
  if (!listingId || !orgId)
    return { outcome: `ignored: subscription ${sub.id} is not for a MemStore listing` };
  const { listing, offer } = await listingAndOffer(tx, { listingId, offerId });
  if (!listing) return { outcome: `ignored: subscription ${sub.id} names no listing here` };
  const source = offer ? "offer" : "subscription";
  const state = stateOf(sub.status);
  const periodEnd = sub.items.data[0]?.current_period_end;
  const fields = {
    currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
  };
  const existing = await entitlementOfSubscription(tx, { stripeSubscriptionId: sub.id, lock: true });
  if (!existing) {
    if (!state || !usable(state)) return { outcome: `ignored: subscription ${sub.id} is ${sub.status}` };
    if (duplicate) return { outcome: await recordDuplicateRefund(tx, duplicate) };
    const now = new Date();
    const { row, created } = await grantEntitlement(
      tx,
      {
        cause: "subscription_start",
        orgId,
        listingId,
        source,
        offerId: offer?.id ?? null,
        state,
        validFrom: now,
        validUntil: validUntilOf(offer?.terms ?? listing.terms, now),
        stripeSubscriptionId: sub.id,
        checkoutSessionId: checkoutSessionId ?? null,
        ...fields,
      },
      { actor: "stripe:webhook", data: { subscription_id: sub.id } },
    );
    // Another payment was granted between the duplicate check and here: applied again, it is refunded.
    if (!created) throw new HeldMeanwhile(orgId, listingId);
    return { outcome: `entitlement ${row.id} granted for subscription ${sub.id} (${state})` };
  }
  if (existing.revokedAt) return { outcome: `ignored: entitlement ${existing.id} was revoked` };
  const next = state ?? existing.state;
  const cause = subscriptionCause(existing.state, next, paymentFailed(sub));
  if (!entitlementMoveAllowed(cause, existing.state, next))
    return {
      outcome: `ignored: entitlement ${existing.id} is ${existing.state}, no ${cause} makes it ${next}`,
    };
  const { ended } = await moveEntitlement(tx, existing.id, {
    cause,
    to: next,
    set: { ...fields, ...(checkoutSessionId && !existing.checkoutSessionId && { checkoutSessionId }) },
    actor: "stripe:webhook",
    reason: whyEnded(sub),
  });
  return {
    outcome: `entitlement ${existing.id}: ${existing.state} → ${next} (${cause})`,
    ...(ended && { ended }),
  };
}

/**
 * A paid invoice of a subscription is a sale: its amount and the platform's fee in minor units,
 * once per payment (the provider's payment intent, else the invoice). A free invoice (a trial's
 * first) sells nothing.
 */
export async function recordInvoiceSale(
  tx: Tx,
  invoice: Stripe.Invoice,
  paymentId: string | null,
  feeBasisPoints: number,
  destination: string | null = null,
): Promise<string> {
  const stripeSubscriptionId = subscriptionOfInvoice(invoice);
  if (invoice.amount_paid <= 0) return `invoice ${invoice.id} charged nothing`;
  const held = stripeSubscriptionId ? await subscriptionHolder(tx, { stripeSubscriptionId }) : null;
  if (!held) return `ignored: invoice ${invoice.id} is for no MemStore subscription`;
  const [sale] = await tx
    .insert(sales)
    .values({
      id: newId("sale"),
      listingId: held.entitlement.listingId,
      sellerOrgId: held.sellerOrgId,
      buyerOrgId: held.entitlement.orgId,
      entitlementId: held.entitlement.id,
      amountCents: invoice.amount_paid,
      feeCents: platformFee(invoice.amount_paid, feeBasisPoints),
      currency: invoice.currency,
      providerPaymentId: paymentId ?? invoice.id,
      destinationAccount: destination,
    })
    .onConflictDoNothing()
    .returning({ id: sales.id });
  return sale
    ? `sale ${sale.id} of ${invoice.amount_paid} ${invoice.currency}`
    : `invoice ${invoice.id} already sold`;
}

export function subscriptionOfInvoice(invoice: Stripe.Invoice): string | null {
  const sub = invoice.parent?.subscription_details?.subscription;
  return typeof sub === "string" ? sub : (sub?.id ?? null);
}

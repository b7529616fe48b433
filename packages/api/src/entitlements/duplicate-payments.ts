import { type Tx } from "@memstore/db";
import type Stripe from "stripe";
import { recordAudit } from "../audit/record-audit.ts";
import { entitlementOfSubscription, liveEntitlement } from "./queries.ts";
import { checkoutById } from "../payments/queries.ts";

/** A payment for a listing its buyer already held, handed back at Stripe before it was applied. */
export type DuplicateRefund = {
  orgId: string;
  listingId: string;
  /** What the duplicate was: the checkout session, or the subscription (canceled at once). */
  checkoutSessionId: string | null;
  stripeSubscriptionId: string | null;
  refundId: string | null;
  amountCents: number;
  currency: string | null;
  /** The live entitlement the buyer holds, which the duplicate would have doubled. */
  heldEntitlementId: string;
};

/**
 * Inside the event's transaction, before it is applied: if its buyer already holds a live
 * entitlement to that listing (two checkouts paid, two subscriptions started), the second payment
 * is refunded whole — and a second subscription canceled — at Stripe, under idempotency keys, so a
 * retried event refunds nothing twice. Returns what was refunded, for the event's transaction to
 * audit; null when the payment is not a duplicate.
 */
export async function refundIfDuplicate(
  tx: Tx,
  stripe: Stripe,
  event: Stripe.Event,
  subscription: Stripe.Subscription | null,
): Promise<DuplicateRefund | null> {
  if (event.type === "checkout.session.completed" && event.data.object.mode === "payment")
    return duplicateCheckout(tx, stripe, event.data.object);
  if (subscription) return duplicateSubscription(tx, stripe, subscription);
  return null;
}

async function duplicateCheckout(tx: Tx, stripe: Stripe, session: Stripe.Checkout.Session) {
  const sessionId = session.id;
  const checkout = await checkoutById(tx, { sessionId });
  if (!checkout || checkout.status === "complete" || typeof session.payment_intent !== "string") return null;
  const held = await liveEntitlement(tx, { orgId: checkout.orgId, listingId: checkout.listingId });
  if (!held || held.checkoutSessionId === sessionId) return null;
  const refund = await stripe.refunds.create(
    {
      payment_intent: session.payment_intent,
      metadata: { reason: "duplicate", held_entitlement_id: held.id },
      // A destination charge's refund takes the publisher's share back, and the platform's fee.
      ...(checkout.feeCents > 0 && { reverse_transfer: true, refund_application_fee: true }),
    },
    { idempotencyKey: `memstore-duplicate-refund-${sessionId}` },
  );
  return {
    orgId: checkout.orgId,
    listingId: checkout.listingId,
    checkoutSessionId: sessionId,
    stripeSubscriptionId: null,
    refundId: refund.id,
    amountCents: refund.amount,
    currency: refund.currency,
    heldEntitlementId: held.id,
  };
}

async function duplicateSubscription(tx: Tx, stripe: Stripe, sub: Stripe.Subscription) {
  const { listing_id: listingId, org_id: orgId } = sub.metadata ?? {};
  const usable = sub.status === "active" || sub.status === "trialing" || sub.status === "past_due";
  if (!listingId || !orgId || !usable) return null;
  const own = await entitlementOfSubscription(tx, { stripeSubscriptionId: sub.id });
  const held = own ? null : await liveEntitlement(tx, { orgId, listingId });
  if (!held) return null;
  await stripe.subscriptions.cancel(sub.id, {}, { idempotencyKey: `memstore-duplicate-cancel-${sub.id}` });
  const invoice = typeof sub.latest_invoice === "string" ? sub.latest_invoice : sub.latest_invoice?.id;
  const payments = invoice ? await stripe.invoicePayments.list({ invoice, limit: 10 }) : null;
  const paid = payments?.data.find((p) => p.status === "paid")?.payment.payment_intent;
  const intent = typeof paid === "string" ? paid : paid?.id;
  const refund = intent
    ? await stripe.refunds.create(
        { payment_intent: intent, metadata: { reason: "duplicate", held_entitlement_id: held.id } },
        { idempotencyKey: `memstore-duplicate-refund-${sub.id}` },
      )
    : null;
  return {
    orgId,
    listingId,
    checkoutSessionId: null,
    stripeSubscriptionId: sub.id,
    refundId: refund?.id ?? null,
    amountCents: refund?.amount ?? 0,
    currency: refund?.currency ?? null,
    heldEntitlementId: held.id,
  };
}

/** The buyer's audit row for a duplicate payment refunded; the event's outcome. */
export async function recordDuplicateRefund(tx: Tx, duplicate: DuplicateRefund): Promise<string> {
  await recordAudit(tx, {
    orgId: duplicate.orgId,
    actor: "stripe:webhook",
    action: "payment.duplicate_refunded",
    objectType: duplicate.stripeSubscriptionId ? "subscription" : "checkout",
    objectId: duplicate.stripeSubscriptionId ?? duplicate.checkoutSessionId!,
    data: {
      listing_id: duplicate.listingId,
      held_entitlement_id: duplicate.heldEntitlementId,
      refund_id: duplicate.refundId,
      amount_cents: duplicate.amountCents,
      currency: duplicate.currency,
    },
  });
  const what = duplicate.stripeSubscriptionId
    ? `subscription ${duplicate.stripeSubscriptionId} canceled`
    : "payment";
  return `duplicate: ${what} refunded (${duplicate.refundId ?? "nothing paid"}); ${duplicate.orgId} holds ${duplicate.heldEntitlementId}`;
}

/** A grant that lost the race to another after the duplicate check: the event is tried again. */
export class HeldMeanwhile extends Error {
  constructor(orgId: string, listingId: string) {
    super(`${orgId} came to hold ${listingId} while this payment was applied; it is applied again`);
  }
}

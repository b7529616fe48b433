import { newId } from "@memstore/core";
import { checkouts, sales, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { AppContext } from "../kernel/context.ts";
import { syncPayoutAccount } from "../payments/payouts.ts";
import { type DuplicateRefund, HeldMeanwhile, recordDuplicateRefund } from "./duplicate-payments.ts";
import { validUntilOf } from "./entitlements.ts";
import { grantEntitlement } from "./lifecycle.ts";
import { type Applied, recordInvoiceSale, syncSubscription } from "./subscription-events.ts";
import { listingAndOffer } from "./queries.ts";

/** What Stripe holds now about the object an event concerns, read inside the event's transaction. */
export type Current = {
  subscription: Stripe.Subscription | null;
  stripeSubscriptionId: string | null;
  paymentId: string | null;
  /** The publisher's payout account a payment's share was transferred to (a destination charge). */
  destination: string | null;
  account: Stripe.Account | null;
  /** A payment for a listing the buyer already held, refunded before the event is applied. */
  duplicate?: DuplicateRefund | null;
};

/**
 * One handler per Stripe event type MemStore acts on, each over the SDK's own type of that event: a
 * checkout paid grants the entitlement and records the sale; a subscription's events make its
 * entitlement follow it; a paid invoice is a sale; a payout account's update is kept. Every other
 * type is recorded and ignored.
 */
export async function handleStripeEvent(
  ctx: AppContext,
  tx: Tx,
  event: Stripe.Event,
  current: Current,
): Promise<Applied> {
  if (isSubscriptionEvent(event)) return subscriptionChanged(tx, current);
  switch (event.type) {
    case "account.updated":
      return { outcome: await syncPayoutAccount(tx, current.account, event.data.object.id) };
    case "checkout.session.completed":
      return checkoutSessionCompleted(tx, event.data.object, current);
    case "invoice.payment_failed":
      return subscriptionChanged(tx, current);
    case "invoice.paid":
      return invoicePaid(ctx, tx, event.data.object, current);
    default:
      return { outcome: `ignored: MemStore does not act on ${event.type}` };
  }
}

/** Every event about a subscription itself (`customer.subscription.*`): its entitlement follows it. */
const SUBSCRIPTION_EVENTS = new Set<string>([
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "customer.subscription.pending_update_applied",
  "customer.subscription.pending_update_expired",
  "customer.subscription.trial_will_end",
] satisfies Array<Stripe.Event["type"]>);

type SubscriptionEvent = Extract<Stripe.Event, { data: { object: Stripe.Subscription } }>;

export const isSubscriptionEvent = (event: Stripe.Event): event is SubscriptionEvent =>
  SUBSCRIPTION_EVENTS.has(event.type);

/** The subscription as Stripe holds it now, followed by its entitlement. */
function subscriptionChanged(
  tx: Tx,
  current: Current,
  checkoutSessionId?: string,
): Promise<Applied> | Applied {
  if (!current.subscription)
    return { outcome: `ignored: unknown subscription ${current.stripeSubscriptionId}` };
  return syncSubscription(tx, current.subscription, current.duplicate ?? null, checkoutSessionId);
}

async function invoicePaid(
  ctx: AppContext,
  tx: Tx,
  invoice: Stripe.Invoice,
  current: Current,
): Promise<Applied> {
  const synced = await subscriptionChanged(tx, current);
  if (!current.subscription) return synced;
  const fee = ctx.config.PLATFORM_FEE_BPS;
  const sold = await recordInvoiceSale(tx, invoice, current.paymentId, fee, current.destination);
  return { ...synced, outcome: `${synced.outcome}; ${sold}` };
}

async function checkoutSessionCompleted(
  tx: Tx,
  session: Stripe.Checkout.Session,
  current: Current,
): Promise<Applied> {
  const claimed = await claimCheckout(tx, session);
  if (typeof claimed === "string") return { outcome: claimed };
  if (session.mode === "subscription") return subscriptionChanged(tx, current, claimed.id);
  return { outcome: await purchaseCompleted(tx, session, claimed, current) };
}

/** The checkout a completed session pays, marked complete; or why the event changes nothing. */
async function claimCheckout(tx: Tx, session: Stripe.Checkout.Session) {
  const [checkout] = await tx.select().from(checkouts).where(eq(checkouts.id, session.id)).for("update");
  if (!checkout) return `ignored: unknown checkout ${session.id}`;
  if (checkout.status === "complete") return `ignored: checkout ${session.id} already complete`;
  if (session.payment_status !== "paid" && session.payment_status !== "no_payment_required")
    return `ignored: checkout ${session.id} is ${session.payment_status}`;
  if (session.amount_total !== checkout.amountCents || session.currency !== checkout.currency) {
    return `ignored: checkout ${session.id} paid ${session.amount_total} ${session.currency}, not ${checkout.amountCents} ${checkout.currency}`;
  }
  await tx
    .update(checkouts)
    .set({ status: "complete", completedAt: new Date() })
    .where(eq(checkouts.id, session.id));
  return checkout;
}

/** A one-time purchase paid: the entitlement granted and the sale recorded (or a duplicate's refund audited). */
async function purchaseCompleted(
  tx: Tx,
  session: Stripe.Checkout.Session,
  checkout: typeof checkouts.$inferSelect,
  current: Current,
): Promise<string> {
  if (current.duplicate) return recordDuplicateRefund(tx, current.duplicate);
  const { listing, offer } = await listingAndOffer(tx, checkout);
  const now = new Date();
  const { row: entitlement, created } = await grantEntitlement(
    tx,
    {
      cause: "paid_checkout",
      orgId: checkout.orgId,
      listingId: checkout.listingId,
      source: checkout.offerId ? "offer" : "purchase",
      offerId: checkout.offerId,
      validFrom: now,
      validUntil: validUntilOf(offer?.terms ?? listing!.terms, now),
      checkoutSessionId: session.id,
    },
    { actor: "stripe:webhook", data: { checkout_session_id: session.id } },
  );
  // Another payment was granted between the duplicate check and here: applied again, it is refunded.
  if (!created) throw new HeldMeanwhile(checkout.orgId, checkout.listingId);
  const paymentIntent = session.payment_intent;
  await tx.insert(sales).values({
    id: newId("sale"),
    listingId: checkout.listingId,
    sellerOrgId: listing!.orgId,
    buyerOrgId: checkout.orgId,
    entitlementId: entitlement.id,
    amountCents: checkout.amountCents,
    feeCents: checkout.feeCents,
    currency: checkout.currency,
    providerPaymentId: (typeof paymentIntent === "string" ? paymentIntent : paymentIntent?.id) ?? session.id,
    destinationAccount: current.destination,
  });
  return `entitlement ${entitlement.id} granted for checkout ${session.id}`;
}

import { AppError, newId, storableJson } from "@memstore/core";
import { checkouts, listings, lockUntilCommit, offers, paymentEvents, sales, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { AppContext } from "../kernel/context.ts";
import { afterEntitlementEnded } from "./ending.ts";
import { validUntilOf } from "./entitlements.ts";
import { grantEntitlement } from "./lifecycle.ts";
import {
  type DuplicateRefund,
  HeldMeanwhile,
  recordDuplicateRefund,
  refundIfDuplicate,
} from "./duplicate-payments.ts";
import { syncPayoutAccount } from "../payments/payouts.ts";
import { requireStripe } from "../payments/stripe-client.ts";
import {
  type Applied,
  recordInvoiceSale,
  subscriptionOfInvoice,
  syncSubscription,
} from "./subscription-events.ts";

/** How far a webhook's signed timestamp may be from now, in seconds (Stripe's own default). */
const SIGNATURE_TOLERANCE_S = 300;

/**
 * A Stripe webhook: verified with the SDK's `constructEvent` against the endpoint's secret, stored
 * once by its id, and handed to the `payment-event` job, so a slow handler never keeps Stripe
 * waiting. A replay finds the stored row and changes nothing; one not yet applied is queued again.
 */
export async function receiveStripeEvent(ctx: AppContext, payload: string, signature: string | null) {
  const stripe = requireStripe(ctx);
  const secret = ctx.config.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError("payments_unconfigured", "STRIPE_WEBHOOK_SECRET is not set");
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(payload, signature ?? "", secret, SIGNATURE_TOLERANCE_S);
  } catch {
    throw new AppError(
      "webhook_signature_invalid",
      "the Stripe-Signature header does not verify this body with the endpoint's secret (or is older than 300 s)",
    );
  }
  await ctx.db
    .insert(paymentEvents)
    .values({
      id: event.id,
      type: event.type,
      payload: storableJson(JSON.parse(payload) as Record<string, unknown>),
    })
    .onConflictDoNothing();
  const [stored] = await ctx.db
    .select({ appliedAt: paymentEvents.appliedAt })
    .from(paymentEvents)
    .where(eq(paymentEvents.id, event.id));
  if (!stored?.appliedAt) await ctx.jobs.enqueue("payment-event", { eventId: event.id });
  return { received: true };
}

/**
 * Applies a stored event once, in one transaction with its `applied_at`: a checkout paid grants the
 * entitlement and records the sale; a subscription's events make its entitlement follow it; a paid
 * invoice is a sale. Subscription events are applied from the subscription as Stripe holds it now
 * (fetched inside the transaction, under a lock per Stripe object that serialises its events), so an
 * event that arrives late, out of order or twice brings nothing stale. An event about an object MemStore does not know is recorded and ignored. Returns
 * what it did.
 */
export async function applyPaymentEvent(ctx: AppContext, eventId: string): Promise<string> {
  const [event] = await ctx.db.select().from(paymentEvents).where(eq(paymentEvents.id, eventId));
  if (!event) return `no event ${eventId}`;
  if (event.appliedAt) return `already applied: ${event.outcome}`;
  const object = (event.payload.data as { object: Record<string, unknown> }).object;
  const stripe = requireStripe(ctx);
  const applied = await ctx.db.transaction(async (tx) => {
    // One event of a Stripe object at a time, from reading its state at Stripe to committing what it
    // did: an event read before another was applied never lands after it with a stale state.
    const key = `stripe:${subscriptionIdOf(event.type, object) ?? String(object.id)}`;
    await lockUntilCommit(tx, key);
    const [locked] = await tx.select().from(paymentEvents).where(eq(paymentEvents.id, eventId)).for("update");
    if (!locked || locked.appliedAt) return null;
    const current = await currentState(ctx, event.type, object);
    current.duplicate = await refundIfDuplicate(tx, stripe, event.type, object, current.subscription);
    const result = await dispatch(ctx, tx, event.type, object, current);
    await tx
      .update(paymentEvents)
      .set({ appliedAt: new Date(), outcome: result.outcome })
      .where(eq(paymentEvents.id, eventId));
    return result;
  });
  if (!applied) return "already applied";
  await afterEntitlementEnded(ctx, applied.ended);
  return applied.outcome;
}

/** The subscription an event concerns, when it concerns one. */
function subscriptionIdOf(type: string, object: Record<string, unknown>): string | null {
  if (type.startsWith("customer.subscription.")) return String(object.id);
  if (type.startsWith("invoice.")) return subscriptionOfInvoice(object as unknown as Stripe.Invoice);
  if (type === "checkout.session.completed" && object.mode === "subscription")
    return (object.subscription as string | null) ?? null;
  return null;
}

type Current = {
  subscription: Stripe.Subscription | null;
  subscriptionId: string | null;
  paymentId: string | null;
  /** The publisher's payout account a payment's share was transferred to (a destination charge). */
  destination: string | null;
  account: Stripe.Account | null;
  /** A payment for a listing the buyer already held, refunded before the event is applied. */
  duplicate?: DuplicateRefund | null;
};

const destinationOf = (intent: Stripe.PaymentIntent) => {
  const to = intent.transfer_data?.destination;
  return typeof to === "string" ? to : (to?.id ?? null);
};

/** The subscription an event concerns as Stripe holds it now (null when Stripe has none), and a paid invoice's payment. */
async function currentState(
  ctx: AppContext,
  type: string,
  object: Record<string, unknown>,
): Promise<Current> {
  const subscriptionId = subscriptionIdOf(type, object);
  const current: Current = {
    subscription: null,
    subscriptionId,
    paymentId: null,
    destination: null,
    account: null,
  };
  const stripe = requireStripe(ctx);
  if (type === "account.updated") {
    current.account = await retrieved(() => stripe.accounts.retrieve(String(object.id)));
    return current;
  }
  if (type === "checkout.session.completed" && typeof object.payment_intent === "string") {
    const intent = await retrieved(() => stripe.paymentIntents.retrieve(object.payment_intent as string));
    current.destination = intent && destinationOf(intent);
  }
  if (!subscriptionId) return current;
  current.subscription = await retrieved(() => stripe.subscriptions.retrieve(subscriptionId));
  if (type === "invoice.paid") {
    const payments = await stripe.invoicePayments.list({ invoice: String(object.id), limit: 10 });
    const paid = payments.data.find((p) => p.status === "paid")?.payment.payment_intent;
    current.paymentId = typeof paid === "string" ? paid : (paid?.id ?? null);
    const intent = current.paymentId
      ? await retrieved(() => stripe.paymentIntents.retrieve(current.paymentId!))
      : null;
    current.destination = intent && destinationOf(intent);
  }
  return current;
}

/** An object as Stripe holds it now, or null when Stripe has no such object. */
async function retrieved<T>(fetch: () => Promise<T>): Promise<T | null> {
  try {
    return await fetch();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

async function dispatch(
  ctx: AppContext,
  tx: Tx,
  type: string,
  object: Record<string, unknown>,
  current: Current,
): Promise<Applied> {
  if (type === "account.updated")
    return { outcome: await syncPayoutAccount(tx, current.account, String(object.id)) };
  if (type === "checkout.session.completed") {
    if (object.mode !== "subscription") return { outcome: await checkoutCompleted(tx, object, current) };
    const claimed = await claimCheckout(tx, object);
    if (typeof claimed === "string") return { outcome: claimed };
    if (!current.subscription) return { outcome: `ignored: unknown subscription ${current.subscriptionId}` };
    return syncSubscription(tx, current.subscription, current.duplicate ?? null, claimed.id);
  }
  const subscriptionEvent =
    type.startsWith("customer.subscription.") || type === "invoice.paid" || type === "invoice.payment_failed";
  if (!subscriptionEvent) return { outcome: `ignored: MemStore does not act on ${type}` };
  if (!current.subscription) return { outcome: `ignored: unknown subscription ${current.subscriptionId}` };
  const synced = await syncSubscription(tx, current.subscription, current.duplicate ?? null);
  if (type !== "invoice.paid") return synced;
  const sold = await recordInvoiceSale(
    tx,
    object as unknown as Stripe.Invoice,
    current.paymentId,
    ctx.config.PLATFORM_FEE_BPS,
    current.destination,
  );
  return { ...synced, outcome: `${synced.outcome}; ${sold}` };
}

/** The checkout a completed session pays, marked complete; or why the event changes nothing. */
async function claimCheckout(tx: Tx, session: Record<string, unknown>) {
  const sessionId = String(session.id);
  const [checkout] = await tx.select().from(checkouts).where(eq(checkouts.id, sessionId)).for("update");
  if (!checkout) return `ignored: unknown checkout ${sessionId}`;
  if (checkout.status === "complete") return `ignored: checkout ${sessionId} already complete`;
  if (session.payment_status !== "paid" && session.payment_status !== "no_payment_required")
    return `ignored: checkout ${sessionId} is ${String(session.payment_status)}`;
  if (session.amount_total !== checkout.amountCents || session.currency !== checkout.currency) {
    return `ignored: checkout ${sessionId} paid ${String(session.amount_total)} ${String(session.currency)}, not ${checkout.amountCents} ${checkout.currency}`;
  }
  await tx
    .update(checkouts)
    .set({ status: "complete", completedAt: new Date() })
    .where(eq(checkouts.id, sessionId));
  return checkout;
}

async function checkoutCompleted(
  tx: Tx,
  session: Record<string, unknown>,
  current: Current,
): Promise<string> {
  const claimed = await claimCheckout(tx, session);
  if (typeof claimed === "string") return claimed;
  const checkout = claimed;
  const sessionId = checkout.id;
  if (current.duplicate) return recordDuplicateRefund(tx, current.duplicate);
  const [listing] = await tx.select().from(listings).where(eq(listings.id, checkout.listingId));
  const [offer] = checkout.offerId
    ? await tx.select().from(offers).where(eq(offers.id, checkout.offerId))
    : [];
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
      checkoutSessionId: sessionId,
    },
    { actor: "stripe:webhook", data: { checkout_session_id: sessionId } },
  );
  // Another payment was granted between the duplicate check and here: applied again, it is refunded.
  if (!created) throw new HeldMeanwhile(checkout.orgId, checkout.listingId);
  await tx.insert(sales).values({
    id: newId("sale"),
    listingId: checkout.listingId,
    sellerOrgId: listing!.orgId,
    buyerOrgId: checkout.orgId,
    entitlementId: entitlement.id,
    amountCents: checkout.amountCents,
    feeCents: checkout.feeCents,
    currency: checkout.currency,
    providerPaymentId: String(session.payment_intent ?? sessionId),
    destinationAccount: current.destination,
  });
  return `entitlement ${entitlement.id} granted for checkout ${sessionId}`;
}

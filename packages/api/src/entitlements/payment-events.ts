import { AppError, storableJson } from "@memstore/core";
import { lockUntilCommit, paymentEvents } from "@memstore/db";
import { eq } from "drizzle-orm";
import Stripe from "stripe";
import type { AppContext } from "../kernel/context.ts";
import { afterEntitlementEnded } from "./ending.ts";
import { refundIfDuplicate } from "./duplicate-payments.ts";
import { requireStripe } from "../payments/stripe-client.ts";
import { type Current, handleStripeEvent, isSubscriptionEvent } from "./stripe-handlers.ts";
import { subscriptionOfInvoice } from "./subscription-events.ts";
import { storedPaymentEvent } from "./queries.ts";

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
  const stored = await storedPaymentEvent(ctx.db, { eventId: event.id });
  if (!stored?.appliedAt) await ctx.jobs.enqueue("payment-event", { eventId: event.id });
  return { received: true };
}

/**
 * Applies a stored event once, in one transaction with its `applied_at`, by the handler of its type
 * (see stripe-handlers.ts). Subscription events are applied from the subscription as Stripe holds it
 * now (fetched inside the transaction, under a lock per Stripe object that serialises its events),
 * so an event that arrives late, out of order or twice brings nothing stale. An event about an
 * object MemStore does not know is recorded and ignored. Returns what it did.
 */
export async function applyPaymentEvent(ctx: AppContext, eventId: string): Promise<string> {
  const stored = await storedPaymentEvent(ctx.db, { eventId });
  if (!stored) return `no event ${eventId}`;
  if (stored.appliedAt) return `already applied: ${stored.outcome}`;
  const event = stored.payload;
  if (!isStripeEvent(event)) return `ignored: event ${eventId} is not a Stripe event`;
  const stripe = requireStripe(ctx);
  const applied = await ctx.db.transaction(async (tx) => {
    // One event of a Stripe object at a time, from reading its state at Stripe to committing what it
    // did: an event read before another was applied never lands after it with a stale state.
    await lockUntilCommit(tx, `stripe:${subscriptionIdOf(event) ?? objectIdOf(event)}`);
    const [locked] = await tx.select().from(paymentEvents).where(eq(paymentEvents.id, eventId)).for("update");
    if (!locked || locked.appliedAt) return null;
    const current = await currentState(ctx, event);
    current.duplicate = await refundIfDuplicate(tx, stripe, event, current.subscription);
    const result = await handleStripeEvent(ctx, tx, event, current);
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

/**
 * A stored payload is the event `constructEvent` verified when it arrived (see receiveStripeEvent),
 * kept as JSON: this checks it still has an event's shape before it is read as one.
 */
function isStripeEvent(payload: Record<string, unknown>): payload is Record<string, unknown> & Stripe.Event {
  const data = payload.data;
  return (
    payload.object === "event" &&
    typeof payload.id === "string" &&
    typeof payload.type === "string" &&
    typeof data === "object" &&
    data !== null &&
    "object" in data &&
    typeof data.object === "object" &&
    data.object !== null
  );
}

const idOf = (ref: string | { id: string } | null | undefined) =>
  typeof ref === "string" ? ref : (ref?.id ?? null);

/** The subscription an event concerns, when it concerns one. */
function subscriptionIdOf(event: Stripe.Event): string | null {
  if (isSubscriptionEvent(event)) return event.data.object.id;
  switch (event.type) {
    case "invoice.paid":
    case "invoice.payment_failed":
      return subscriptionOfInvoice(event.data.object);
    case "checkout.session.completed":
      return event.data.object.mode === "subscription" ? idOf(event.data.object.subscription) : null;
    default:
      return null;
  }
}

/** The Stripe object an event is about (the event itself, for one about no object with an id). */
function objectIdOf(event: Stripe.Event): string {
  const object: object = event.data.object;
  return "id" in object && typeof object.id === "string" ? object.id : event.id;
}

/** The subscription an event concerns as Stripe holds it now (null when Stripe has none), and a payment's destination. */
async function currentState(ctx: AppContext, event: Stripe.Event): Promise<Current> {
  const stripeSubscriptionId = subscriptionIdOf(event);
  const current: Current = {
    subscription: null,
    stripeSubscriptionId,
    paymentId: null,
    destination: null,
    account: null,
  };
  const stripe = requireStripe(ctx);
  if (event.type === "account.updated") {
    const id = event.data.object.id;
    current.account = await retrieved(() => stripe.accounts.retrieve(id));
    return current;
  }
  if (event.type === "checkout.session.completed") {
    const intentId = event.data.object.payment_intent;
    if (typeof intentId === "string") {
      const intent = await retrieved(() => stripe.paymentIntents.retrieve(intentId));
      current.destination = intent && destinationOf(intent);
    }
  }
  if (!stripeSubscriptionId) return current;
  current.subscription = await retrieved(() => stripe.subscriptions.retrieve(stripeSubscriptionId));
  if (event.type === "invoice.paid" && event.data.object.id) {
    const payments = await stripe.invoicePayments.list({ invoice: event.data.object.id, limit: 10 });
    current.paymentId = idOf(payments.data.find((p) => p.status === "paid")?.payment.payment_intent);
    const paymentId = current.paymentId;
    const intent = paymentId ? await retrieved(() => stripe.paymentIntents.retrieve(paymentId)) : null;
    current.destination = intent && destinationOf(intent);
  }
  return current;
}

const destinationOf = (intent: Stripe.PaymentIntent) => idOf(intent.transfer_data?.destination);

/** An object as Stripe holds it now, or null when Stripe has no such object. */
async function retrieved<T>(fetch: () => Promise<T>): Promise<T | null> {
  try {
    return await fetch();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError && error.statusCode === 404) return null;
    throw error;
  }
}

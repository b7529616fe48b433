import { AppError, newId, storableJson } from "@memstore/core";
import { checkouts, entitlements, listings, paymentEvents, sales, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../context.ts";
import { resumeSuspendedInstalls, validUntilOf } from "../store/entitlements.ts";
import { requireStripe } from "./stripe-client.ts";

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
 * entitlement and records the sale. An event about an object MemStore does not know is recorded
 * and ignored. Returns what it did.
 */
export async function applyPaymentEvent(ctx: AppContext, eventId: string): Promise<string> {
  return ctx.db.transaction(async (tx) => {
    const [event] = await tx.select().from(paymentEvents).where(eq(paymentEvents.id, eventId)).for("update");
    if (!event) return `no event ${eventId}`;
    if (event.appliedAt) return `already applied: ${event.outcome}`;
    const object = (event.payload.data as { object: Record<string, unknown> }).object;
    const outcome =
      event.type === "checkout.session.completed"
        ? await checkoutCompleted(tx, object)
        : `ignored: MemStore does not act on ${event.type}`;
    await tx
      .update(paymentEvents)
      .set({ appliedAt: new Date(), outcome })
      .where(eq(paymentEvents.id, eventId));
    return outcome;
  });
}

async function checkoutCompleted(tx: Tx, session: Record<string, unknown>): Promise<string> {
  const sessionId = String(session.id);
  const [checkout] = await tx.select().from(checkouts).where(eq(checkouts.id, sessionId)).for("update");
  if (!checkout) return `ignored: unknown checkout ${sessionId}`;
  if (checkout.status === "complete") return `ignored: checkout ${sessionId} already complete`;
  if (session.payment_status !== "paid")
    return `ignored: checkout ${sessionId} is ${String(session.payment_status)}`;
  if (session.amount_total !== checkout.amountCents || session.currency !== checkout.currency) {
    return `ignored: checkout ${sessionId} paid ${String(session.amount_total)} ${String(session.currency)}, not ${checkout.amountCents} ${checkout.currency}`;
  }
  const [listing] = await tx.select().from(listings).where(eq(listings.id, checkout.listingId));
  const now = new Date();
  const [entitlement] = await tx
    .insert(entitlements)
    .values({
      id: newId("ent"),
      orgId: checkout.orgId,
      listingId: checkout.listingId,
      source: "purchase",
      state: "active",
      validFrom: now,
      validUntil: validUntilOf(listing!.terms, now),
      checkoutSessionId: sessionId,
    })
    .returning();
  await tx.insert(sales).values({
    id: newId("sale"),
    listingId: checkout.listingId,
    sellerOrgId: listing!.orgId,
    buyerOrgId: checkout.orgId,
    entitlementId: entitlement!.id,
    amountCents: checkout.amountCents,
    feeCents: checkout.feeCents,
    currency: checkout.currency,
    providerPaymentId: String(session.payment_intent ?? sessionId),
  });
  await tx.update(checkouts).set({ status: "complete", completedAt: now }).where(eq(checkouts.id, sessionId));
  await resumeSuspendedInstalls(tx, checkout.orgId, checkout.listingId);
  await recordAudit(tx, {
    orgId: checkout.orgId,
    actor: "stripe:webhook",
    action: "entitlement.created",
    objectType: "entitlement",
    objectId: entitlement!.id,
    data: { listing_id: checkout.listingId, source: "purchase", checkout_session_id: sessionId },
  });
  return `entitlement ${entitlement!.id} granted for checkout ${sessionId}`;
}

import { createHash } from "node:crypto";
import { AppError, idSchema, newId, platformFee, type Subject } from "@memstore/core";
import {
  billingCustomers,
  checkouts,
  type ListingRow,
  listingPrices,
  lockUntilCommit,
  type OfferRow,
} from "@memstore/db";
import type Stripe from "stripe";
import { z } from "zod";
import { cubeById } from "../catalog/queries.ts";
import type { AppContext } from "../kernel/context.ts";
import { type Pricing, pricingSchema } from "./pricing.ts";
import { payoutDestination } from "./payouts.ts";
import { listingPrice, openCheckout, stripeCustomerOf } from "./queries.ts";
import { requireStripe } from "./stripe-client.ts";

/** What an acquire may say: where the buyer returns after paying or giving up. */
export const acquireInput = z
  .object({
    /** A private offer made to the caller's organisation: its price and terms, not the listing's. */
    offer_id: idSchema.optional(),
    success_url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    cancel_url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
  })
  .strict();

/**
 * Starts paying for a listing: the organisation's customer and the listing's price at Stripe (made
 * once, kept), a Checkout Session, and a `checkouts` row holding what was asked — the amount and the
 * platform's fee in minor units — which the webhook completes. The entitlement appears only then.
 * While the organisation has a session open for the listing at the same price, every acquire
 * answers that one: concurrent acquires wait for the first to open it, so one buyer pays once.
 */
export async function startCheckout(
  ctx: AppContext,
  subject: Subject,
  listing: ListingRow,
  input: z.infer<typeof acquireInput>,
  offer: OfferRow | null = null,
): Promise<{ checkout_url: string; checkout_session_id: string }> {
  const stripe = requireStripe(ctx);
  const pricing = pricingSchema.parse(offer?.pricing ?? listing.pricing);
  if (pricing.model === "free")
    throw new AppError("conflict", "free listings are not sold through a checkout");
  const customer = await customerOf(ctx, stripe, subject.orgId);
  const price = await priceOf(ctx, stripe, listing, pricing);
  const back = `${ctx.config.publicUrl}/store/${listing.id}`;
  const cube = await cubeById(ctx.db, { cubeId: listing.cubeId });
  const metadata = { listing_id: listing.id, org_id: subject.orgId, ...(offer && { offer_id: offer.id }) };
  const subscription = pricing.model !== "one_time";
  const trialDays = pricing.model === "subscription" ? (pricing.trial_days ?? 0) : 0;
  // What the checkout itself charges: a trial's first invoice is nothing, nor is usage not yet made.
  const charged = trialDays > 0 || pricing.model === "usage" ? 0 : pricing.amount_cents;
  const fee = platformFee(charged, ctx.config.PLATFORM_FEE_BPS);
  // A publisher with a payout account is paid by destination charges: its share moves to it at once.
  const destination = await payoutDestination(ctx, listing.orgId);
  const bps = ctx.config.PLATFORM_FEE_BPS;
  const ask = {
    orgId: subject.orgId,
    listingId: listing.id,
    offerId: offer?.id ?? null,
    mode: subscription ? "subscription" : "payment",
    amountCents: charged,
    currency: pricing.currency,
    feeCents: fee,
  } as const;
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: subscription ? "subscription" : "payment",
    customer,
    // A metered price takes no quantity: what is billed is the calls reported each month.
    line_items: [pricing.model === "usage" ? { price } : { price, quantity: 1 }],
    success_url: input.success_url ?? `${back}?checkout=paid&session={CHECKOUT_SESSION_ID}`,
    cancel_url: input.cancel_url ?? `${back}?checkout=canceled`,
    client_reference_id: subject.orgId,
    metadata: { ...metadata, title: cube?.title ?? listing.id },
    ...(!subscription &&
      destination && {
        payment_intent_data: { application_fee_amount: fee, transfer_data: { destination } },
      }),
    // The subscription carries whose it is and for what, so its every event finds its entitlement.
    ...(subscription && {
      subscription_data: {
        metadata,
        ...(trialDays > 0 && { trial_period_days: trialDays }),
        // Usage is billed per UTC month, as MemStore counts included calls and the cap.
        ...(pricing.model === "usage" && { billing_cycle_anchor: nextUtcMonth(new Date()) }),
        // Each invoice's fee: the platform's basis points as Stripe's percent (1000 → 10).
        ...(destination && {
          application_fee_percent: Number(
            `${(bps - (bps % 100)) / 100}.${String(bps % 100).padStart(2, "0")}`,
          ),
          transfer_data: { destination },
        }),
      },
    }),
  };
  return ctx.db.transaction(async (tx) => {
    // Held to the commit: a concurrent acquire of the same listing by the same buyer waits here.
    await lockUntilCommit(tx, `checkout:${ask.orgId}:${ask.listingId}`);
    const open = await openCheckout(tx, ask);
    if (open) return { checkout_url: open.url!, checkout_session_id: open.id };
    const session = await stripe.checkout.sessions.create(params);
    if (!session.url) throw new Error(`Stripe gave checkout session ${session.id} no url`);
    await tx.insert(checkouts).values({
      id: session.id,
      ...ask,
      url: session.url,
      expiresAt: new Date(session.expires_at * 1000),
    });
    return { checkout_url: session.url, checkout_session_id: session.id };
  });
}

/** The first moment of the next UTC month, in Unix seconds. */
const nextUtcMonth = (now: Date) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000;

/** The organisation's Stripe customer, made the first time it buys (an idempotency key keeps it one). */
async function customerOf(ctx: AppContext, stripe: Stripe, orgId: string): Promise<string> {
  const known = () => stripeCustomerOf(ctx.db, { orgId });
  const existing = await known();
  if (existing) return existing;
  const made = await stripe.customers.create(
    { metadata: { org_id: orgId } },
    { idempotencyKey: `memstore-customer-${orgId}` },
  );
  await ctx.db.insert(billingCustomers).values({ orgId, stripeCustomerId: made.id }).onConflictDoNothing();
  return (await known()) ?? made.id;
}

/** Canonical JSON of a pricing: the same pricing always names the same price. */
const pricingKey = (pricing: Pricing) =>
  JSON.stringify(Object.fromEntries(Object.entries(pricing).sort(([a], [b]) => (a < b ? -1 : 1))));

/** The meter event that counts a usage-priced listing's agent calls. */
export const meterEventName = (listingId: string) => `memstore_calls_${listingId}`;

/**
 * The listing's Stripe price for this pricing: its product made once, a price per pricing. A usage
 * price is metered: per 1,000 calls (quantity divided by 1,000, rounded up), on the listing's meter.
 */
export async function priceOf(
  ctx: AppContext,
  stripe: Stripe,
  listing: ListingRow,
  pricing: Pricing & { model: "one_time" | "subscription" | "usage" },
): Promise<string> {
  const key = pricingKey(pricing);
  const lookup = () => listingPrice(ctx.db, { listingId: listing.id, pricingKey: key });
  const existing = await lookup();
  if (existing) return existing.stripePriceId;
  const earlier = await listingPrice(ctx.db, { listingId: listing.id });
  const product =
    earlier?.stripeProductId ??
    (
      await stripe.products.create(
        { name: `MemStore listing ${listing.id}`, metadata: { listing_id: listing.id } },
        { idempotencyKey: `memstore-product-${listing.id}` },
      )
    ).id;
  const digest = createHash("sha256").update(key).digest("hex").slice(0, 16);
  const meter =
    pricing.model !== "usage"
      ? null
      : (earlier?.stripeMeterId ??
        (
          await stripe.billing.meters.create(
            {
              display_name: `MemStore agent calls, listing ${listing.id}`,
              event_name: meterEventName(listing.id),
              default_aggregation: { formula: "sum" },
              customer_mapping: { type: "by_id", event_payload_key: "stripe_customer_id" },
              value_settings: { event_payload_key: "value" },
            },
            { idempotencyKey: `memstore-meter-${listing.id}` },
          )
        ).id);
  const price = await stripe.prices.create(
    {
      product,
      currency: pricing.currency,
      metadata: { listing_id: listing.id },
      ...(pricing.model === "usage"
        ? {
            unit_amount: pricing.unit_amount_cents,
            recurring: { interval: "month", usage_type: "metered", meter: meter! },
            transform_quantity: { divide_by: 1000, round: "up" },
          }
        : {
            unit_amount: pricing.amount_cents,
            ...(pricing.model === "subscription" && { recurring: { interval: pricing.interval } }),
          }),
    },
    { idempotencyKey: `memstore-price-${listing.id}-${digest}` },
  );
  await ctx.db
    .insert(listingPrices)
    .values({
      id: newId("lpr"),
      listingId: listing.id,
      pricingKey: key,
      stripeProductId: product,
      stripePriceId: price.id,
      stripeMeterId: meter,
    })
    .onConflictDoNothing();
  return (await lookup())?.stripePriceId ?? price.id;
}

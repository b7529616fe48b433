import { createHash } from "node:crypto";
import { AppError, idSchema, newId, platformFee, type Subject } from "@memstore/core";
import {
  billingCustomers,
  checkouts,
  cubes,
  type ListingRow,
  listingPrices,
  type OfferRow,
} from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { type Pricing, pricingSchema } from "../publishing/schemas.ts";
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
  if (pricing.model !== "one_time" && pricing.model !== "subscription") {
    throw new AppError("conflict", `${pricing.model} listings are not sold through a checkout`);
  }
  const customer = await customerOf(ctx, stripe, subject.orgId);
  const price = await priceOf(ctx, stripe, listing, pricing);
  const back = `${ctx.config.publicUrl}/store/${listing.id}`;
  const [cube] = await ctx.db.select({ title: cubes.title }).from(cubes).where(eq(cubes.id, listing.cubeId));
  const metadata = { listing_id: listing.id, org_id: subject.orgId, ...(offer && { offer_id: offer.id }) };
  const subscription = pricing.model === "subscription";
  const trialDays = subscription ? (pricing.trial_days ?? 0) : 0;
  const session = await stripe.checkout.sessions.create({
    mode: subscription ? "subscription" : "payment",
    customer,
    line_items: [{ price, quantity: 1 }],
    success_url: input.success_url ?? `${back}?checkout=paid&session={CHECKOUT_SESSION_ID}`,
    cancel_url: input.cancel_url ?? `${back}?checkout=canceled`,
    client_reference_id: subject.orgId,
    metadata: { ...metadata, title: cube?.title ?? listing.id },
    // The subscription carries whose it is and for what, so its every event finds its entitlement.
    ...(subscription && {
      subscription_data: { metadata, ...(trialDays > 0 && { trial_period_days: trialDays }) },
    }),
  });
  // What the checkout itself charges: a trial's first invoice is nothing.
  const charged = trialDays > 0 ? 0 : pricing.amount_cents;
  await ctx.db.insert(checkouts).values({
    id: session.id,
    orgId: subject.orgId,
    listingId: listing.id,
    mode: subscription ? "subscription" : "payment",
    offerId: offer?.id ?? null,
    amountCents: charged,
    currency: pricing.currency,
    feeCents: platformFee(charged, ctx.config.PLATFORM_FEE_BPS),
  });
  if (!session.url) throw new Error(`Stripe gave checkout session ${session.id} no url`);
  return { checkout_url: session.url, checkout_session_id: session.id };
}

/** The organisation's Stripe customer, made the first time it buys (an idempotency key keeps it one). */
async function customerOf(ctx: AppContext, stripe: Stripe, orgId: string): Promise<string> {
  const known = async () =>
    (await ctx.db.select().from(billingCustomers).where(eq(billingCustomers.orgId, orgId)))[0]
      ?.stripeCustomerId;
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

/** The listing's Stripe price for this pricing: its product made once, a price per pricing. */
export async function priceOf(
  ctx: AppContext,
  stripe: Stripe,
  listing: ListingRow,
  pricing: Pricing & { model: "one_time" | "subscription" },
): Promise<string> {
  const key = pricingKey(pricing);
  const lookup = async () =>
    (
      await ctx.db
        .select()
        .from(listingPrices)
        .where(and(eq(listingPrices.listingId, listing.id), eq(listingPrices.pricingKey, key)))
    )[0];
  const existing = await lookup();
  if (existing) return existing.stripePriceId;
  const [earlier] = await ctx.db.select().from(listingPrices).where(eq(listingPrices.listingId, listing.id));
  const product =
    earlier?.stripeProductId ??
    (
      await stripe.products.create(
        { name: `MemStore listing ${listing.id}`, metadata: { listing_id: listing.id } },
        { idempotencyKey: `memstore-product-${listing.id}` },
      )
    ).id;
  const digest = createHash("sha256").update(key).digest("hex").slice(0, 16);
  const price = await stripe.prices.create(
    {
      product,
      unit_amount: pricing.amount_cents,
      currency: pricing.currency,
      ...(pricing.model === "subscription" && { recurring: { interval: pricing.interval } }),
      metadata: { listing_id: listing.id },
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
    })
    .onConflictDoNothing();
  return (await lookup())?.stripePriceId ?? price.id;
}

import { entitlements, paymentEvents, queryRows, sales, sql } from "@memstore/db";
import type { Standin, StripeObject } from "@memstore/stripe-standin";
import { stripMarks } from "@memstore/watermark";
import { eq } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCommerceTestbed } from "./support/commerce-bed.ts";

/**
 * Subscriptions end to end through the real Stripe SDK and the local stand-in, on its test clock:
 * a trial, its end charged, a renewal that fails, the grace of past_due, the subscription canceled
 * when the last retry fails — and with it the entitlement, the installs and the search results —
 * and a subscriber who cancels at period end keeps the listing until that end and not after.
 */
let standin: Standin;
let commerce: Awaited<ReturnType<typeof openCommerceTestbed>>;
let bed: typeof commerce.bed;

const DAY = 86_400;
const FACT = "Reefer containers at berth 4 are plugged in within 20 minutes of discharge.";

beforeAll(async () => {
  commerce = await openCommerceTestbed({ PLATFORM_FEE_BPS: "1000" });
  ({ bed, standin } = commerce);
});

afterAll(async () => {
  await commerce?.close();
});

const sdk = (key: string) => bed.client(key);

async function subscriptionListing(slug: string, pricing: Record<string, unknown>) {
  const { cube } = await bed.submittedCube(slug, JSON.stringify({ text: FACT }));
  const listed = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
    cube_id: cube.id,
    visibility: "public",
    pricing,
  });
  expect(listed.status, JSON.stringify(listed.body)).toBe(201);
  expect((await bed.api("POST", `/api/v1/listings/${listed.body.id}/publish`, bed.publisherKey)).status).toBe(
    200,
  );
  return listed.body.id as string;
}

/** A new organisation subscribes with `card` on the hosted page and installs into a vault. */
async function subscribe(listingId: string, name: string, card = "4242 4242 4242 4242") {
  const key = await bed.organization(name, `owner@${name.toLowerCase()}.example.com`);
  const vault = (await bed.api("POST", "/api/v1/vaults", key, { name: "ops" })).body.id as string;
  const started = (await sdk(key).commerce.acquire(listingId)) as { checkout_url: string };
  const page = await (await fetch(started.checkout_url)).text();
  const paid = await fetch(started.checkout_url, {
    method: "POST",
    body: new URLSearchParams({ card }),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
  await bed.t.runner.idle();
  const install = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, key, { listing_id: listingId });
  expect(install.status, JSON.stringify(install.body)).toBe(201);
  await bed.t.runner.idle();
  return { key, vault, page };
}

const entitlementOf = async (key: string, listingId: string) =>
  (await sdk(key).commerce.entitlements({ limit: 100 })).items.find((e) => e.listing_id === listingId)!;

const searchTexts = async (key: string, vault: string) => {
  const found = await bed.api("POST", `/api/v1/vaults/${vault}/search`, key, {
    query: "reefer containers berth",
  });
  expect(found.status).toBe(200);
  return found.body.results.map((r: { text: string }) => stripMarks(r.text)) as string[];
};

const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

describe("a monthly subscription with a trial", () => {
  let listingId: string;
  let buyer: { key: string; vault: string; page: string };
  let sub: StripeObject;

  it("starts trialing when the checkout completes, with nothing charged, and the buyer searches", async () => {
    listingId = await subscriptionListing("reefer-ops", {
      model: "subscription",
      amount_cents: 900,
      currency: "eur",
      interval: "month",
      trial_days: 14,
    });
    buyer = await subscribe(listingId, "Reefers");
    expect(buyer.page).toContain("Start a 14-day free trial, then 9.00 EUR per month");
    sub = standin.objects("subscription").at(-1)!;
    expect(sub).toMatchObject({ status: "trialing", metadata: { listing_id: listingId } });
    const held = await entitlementOf(buyer.key, listingId);
    expect(held).toMatchObject({
      source: "subscription",
      state: "trialing",
      cancel_at_period_end: false,
      current_period_end: isoSeconds(sub.trial_end as number),
    });
    expect(await searchTexts(buyer.key, buyer.vault)).toEqual([FACT]);
    // The trial's invoice charged nothing, so nothing was sold.
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toEqual([]);
  });

  it("charges the price when the trial ends, and records the sale in cents with the fee", async () => {
    await standin.advanceClock(14 * DAY + 60);
    await bed.t.runner.idle();
    const held = await entitlementOf(buyer.key, listingId);
    const item = (sub.items as { data: Array<{ current_period_end: number }> }).data[0]!;
    expect(held).toMatchObject({ state: "active", current_period_end: isoSeconds(item.current_period_end) });
    const sold = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    const charged = standin.objects("payment_intent").filter((p) => p.customer === sub.customer);
    expect(sold).toMatchObject([{ amountCents: 900, feeCents: 90, currency: "eur" }]);
    expect(charged.map((p) => [p.id, p.amount])).toEqual([[sold[0]!.providerPaymentId, 900]]);
  });

  it("keeps the listing working while a failed renewal is retried (past_due), then ends it when the last retry fails", async () => {
    standin.setCard(String(sub.customer), "4000 0000 0000 0341");
    const renewal = (sub.items as { data: Array<{ current_period_end: number }> }).data[0]!
      .current_period_end;
    await standin.advanceClock(renewal + 60 - standin.now());
    await bed.t.runner.idle();
    expect(await entitlementOf(buyer.key, listingId)).toMatchObject({ state: "past_due" });
    expect(await searchTexts(buyer.key, buyer.vault)).toEqual([FACT]);

    // The first retry, three days on, fails too: still in grace.
    await standin.advanceClock(3 * DAY);
    await bed.t.runner.idle();
    expect(await entitlementOf(buyer.key, listingId)).toMatchObject({ state: "past_due" });

    // The last, seven days after the renewal: the subscription is canceled, and with it the listing.
    await standin.advanceClock(4 * DAY);
    await bed.t.runner.idle();
    expect(sub.status).toBe("canceled");
    expect(await entitlementOf(buyer.key, listingId)).toMatchObject({ state: "canceled" });
    expect(await searchTexts(buyer.key, buyer.vault)).toEqual([]);
    const installs = await bed.api("GET", `/api/v1/vaults/${buyer.vault}/installs`, buyer.key);
    expect(installs.body.items.map((i: { state: string }) => i.state)).toEqual(["suspended"]);
    const other = (await bed.api("POST", "/api/v1/vaults", buyer.key, { name: "other" })).body.id;
    const refused = await bed.api("POST", `/api/v1/vaults/${other}/installs`, buyer.key, {
      listing_id: listingId,
    });
    expect([refused.status, refused.body.code]).toEqual([402, "entitlement_inactive"]);
    const events = await queryRows<{ type: string; data: { reason: string } }>(
      bed.t.ctx.db,
      sql`select type, data from vault_events where vault_id = ${buyer.vault} order by seq`,
    );
    expect(events.filter((e) => e.type === "entitlement.revoked").map((e) => e.data.reason)).toEqual([
      "the subscription's renewal payment failed past its grace period",
    ]);
    // Three charges were tried and failed; only the trial's end was sold.
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toHaveLength(1);
  });

  it("changes nothing when an earlier event arrives late or again", async () => {
    const stale = standin
      .events()
      .find(
        (e) =>
          e.type === "customer.subscription.updated" &&
          (e.data as { object: StripeObject }).object.status === "active",
      )!;
    expect(await standin.resend(stale.id)).toBe(200);
    // The same payload under an event id never seen: late, out of order. It is applied against the
    // subscription as Stripe holds it now, which is canceled.
    const payload = JSON.stringify({ ...stale, id: "evt_late_active_update" });
    const header = new Stripe(standin.apiKey).webhooks.generateTestHeaderString({
      payload,
      secret: standin.webhookSecret,
    });
    const late = await fetch(`${bed.server.url}/api/v1/payments/stripe/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": header },
      body: payload,
    });
    expect(late.status).toBe(200);
    await bed.t.runner.idle();
    const [applied] = await bed.t.ctx.db
      .select()
      .from(paymentEvents)
      .where(eq(paymentEvents.id, "evt_late_active_update"));
    expect(applied?.outcome).toMatch(/canceled → canceled/);
    expect(await entitlementOf(buyer.key, listingId)).toMatchObject({ state: "canceled" });
    expect(await searchTexts(buyer.key, buyer.vault)).toEqual([]);
  });
});

describe("cancel at period end", () => {
  it("keeps a yearly subscription working until its period ends, then ends it", async () => {
    const listingId = await subscriptionListing("reefer-yearly", {
      model: "subscription",
      amount_cents: 12_000,
      currency: "usd",
      interval: "year",
    });
    const buyer = await subscribe(listingId, "Coldchain");
    expect(buyer.page).toContain("Subscribe: 120.00 USD per year");
    const held = await entitlementOf(buyer.key, listingId);
    expect(held).toMatchObject({ source: "subscription", state: "active" });
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toMatchObject([
      { amountCents: 12_000, feeCents: 1200, currency: "usd" },
    ]);

    // Only the holder cancels; the publisher (or anyone else) hears 404.
    expect((await bed.api("POST", `/api/v1/entitlements/${held.id}/cancel`, bed.publisherKey)).status).toBe(
      404,
    );
    const canceled = await sdk(buyer.key).commerce.cancel(held.id);
    expect(canceled).toMatchObject({ state: "active", cancel_at_period_end: true });
    expect(canceled.current_period_end).toBe(held.current_period_end);
    expect(await sdk(buyer.key).commerce.cancel(held.id)).toMatchObject({ cancel_at_period_end: true });
    const sub = standin
      .objects("subscription")
      .find((s) => (s.metadata as { listing_id: string }).listing_id === listingId)!;
    expect(sub.cancel_at_period_end).toBe(true);

    // A month on it still works, and nothing more was charged.
    await standin.advanceClock(30 * DAY);
    await bed.t.runner.idle();
    expect(await searchTexts(buyer.key, buyer.vault)).toEqual([FACT]);

    // Past the period's end: ended, not renewed.
    await standin.advanceClock(336 * DAY);
    await bed.t.runner.idle();
    expect(sub.status).toBe("canceled");
    expect(await entitlementOf(buyer.key, listingId)).toMatchObject({ state: "canceled" });
    expect(await searchTexts(buyer.key, buyer.vault)).toEqual([]);
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toHaveLength(1);
    const again = await bed.api("POST", `/api/v1/entitlements/${held.id}/cancel`, buyer.key);
    expect([again.status, again.body.code]).toEqual([409, "conflict"]);
  });

  it("renews nothing once the listing is retired, and a revocation ends the subscription at Stripe with a refund", async () => {
    const listingId = await subscriptionListing("reefer-retired", {
      model: "subscription",
      amount_cents: 500,
      currency: "usd",
      interval: "month",
    });
    const kept = await subscribe(listingId, "Keepers");
    const revoked = await subscribe(listingId, "Revokees");
    const subscriptionOf = async (key: string) => {
      const held = await entitlementOf(key, listingId);
      const [row] = await bed.t.ctx.db.select().from(entitlements).where(eq(entitlements.id, held.id));
      return { held, sub: standin.objects("subscription").find((s) => s.id === row!.stripeSubscriptionId)! };
    };

    const retired = await bed.api("POST", `/api/v1/listings/${listingId}/retire`, bed.publisherKey);
    expect(retired.status).toBe(200);
    const { held: keptHeld, sub: keptSub } = await subscriptionOf(kept.key);
    expect(keptSub.cancel_at_period_end).toBe(true);
    expect(keptHeld).toMatchObject({ state: "active", cancel_at_period_end: true });

    const { held, sub } = await subscriptionOf(revoked.key);
    const answer = await bed.api("POST", `/api/v1/entitlements/${held.id}/revoke`, bed.publisherKey, {
      reason: "resold the feed",
      refund: true,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(sub.status).toBe("canceled");
    const paid = standin.objects("payment_intent").find((p) => p.customer === sub.customer)!;
    expect(standin.objects("refund").filter((r) => r.payment_intent === paid.id)).toMatchObject([
      { amount: 500 },
    ]);
    await bed.t.runner.idle();
    // Stripe's deletion event finds the entitlement already revoked and changes nothing.
    expect(await entitlementOf(revoked.key, listingId)).toMatchObject({
      state: "revoked",
      revoked_reason: "resold the feed",
    });
    expect(await searchTexts(revoked.key, revoked.vault)).toEqual([]);

    // The month ends: the retired listing's subscription is not renewed.
    await standin.advanceClock(32 * DAY);
    await bed.t.runner.idle();
    expect(keptSub.status).toBe("canceled");
    expect(await entitlementOf(kept.key, listingId)).toMatchObject({ state: "canceled" });
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toHaveLength(2);
  });

  it("refuses to cancel an entitlement that does not renew", async () => {
    const { listing } = await bed.listedCube("reefer-free", FACT);
    const key = await bed.organization("Freebies", "owner@freebies.example.com");
    const got = await bed.api("POST", `/api/v1/store/listings/${listing.id}/acquire`, key);
    expect(got.status).toBe(201);
    const refused = await bed.api("POST", `/api/v1/entitlements/${got.body.entitlement.id}/cancel`, key);
    expect([refused.status, refused.body.code]).toEqual([409, "conflict"]);
  });
});

import { authenticateApiKey } from "@memstore/api/identity";
import { acquire } from "@memstore/api/store";
import { paymentEvents, queryRows, sales, sql } from "@memstore/db";
import { stripMarks } from "@memstore/watermark";
import type { Standin } from "@memstore/stripe-standin";
import { eq } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCommerceTestbed } from "./support/commerce-bed.ts";

/**
 * A one-time purchase end to end, through the real Stripe SDK pointed at the local stand-in: the
 * acquire answers a checkout, the buyer pays on the hosted page with a test card, the signed
 * webhook grants the entitlement through the job, and the buyer installs and searches. Webhooks are
 * verified and applied once; money is integer cents and reconciles with what the stand-in charged.
 */
let standin: Standin;
let commerce: Awaited<ReturnType<typeof openCommerceTestbed>>;
let bed: typeof commerce.bed;
let listingId: string;
let buyer: string;
let buyerVault: string;

const FACT = "Storm cranes at berth 9 are lashed when the wind passes 40 knots.";

beforeAll(async () => {
  commerce = await openCommerceTestbed({ PLATFORM_FEE_BPS: "1500" });
  ({ bed, standin } = commerce);
  const { cube } = await bed.submittedCube("storm-cranes", JSON.stringify({ text: FACT }));
  const priced = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "one_time", amount_cents: 1999, currency: "usd" },
  });
  expect(priced.status, JSON.stringify(priced.body)).toBe(201);
  listingId = priced.body.id;
  expect((await bed.api("POST", `/api/v1/listings/${listingId}/publish`, bed.publisherKey)).status).toBe(200);
  buyer = await bed.organization("Tugboats", "owner@tugboats.example.com");
});

afterAll(async () => {
  await commerce?.close();
});

/** The SDK as an organisation's code uses it. */
const sdk = (key: string) => bed.client(key);

const entitlementsOf = async (key: string) =>
  (await sdk(key).commerce.entitlements({ limit: 100 })).items.filter((e) => e.listing_id === listingId);

const pay = (url: string, card: string) =>
  fetch(url, { method: "POST", body: new URLSearchParams({ card }), redirect: "manual" });

describe("buying a listing once", () => {
  it("answers a checkout, grants the entitlement when the payment completes, and the buyer installs and searches", async () => {
    const vault = (await bed.api("POST", "/api/v1/vaults", buyer, { name: "ops" })).body.id;
    buyerVault = vault;
    const acquired = await sdk(buyer).commerce.acquire(listingId, {
      success_url: "https://tugboats.example.com/bought?session={CHECKOUT_SESSION_ID}",
    });
    const started = { body: acquired as { checkout_url: string; checkout_session_id: string } };
    expect(started.body).toEqual({
      checkout_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/pay\/cs_test_/),
      checkout_session_id: expect.stringMatching(/^cs_test_/),
    });
    // Nothing is held before payment: no entitlement, and installing needs one.
    expect(await entitlementsOf(buyer)).toEqual([]);
    const early = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, buyer, { listing_id: listingId });
    expect(early.status).toBe(402);

    const page = await fetch(started.body.checkout_url);
    expect(await page.text()).toContain("Pay 19.99 USD");
    const declined = await pay(started.body.checkout_url, "4000 0000 0000 0002");
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain("Your card was declined.");
    expect(standin.events()).toHaveLength(0);

    const paid = await pay(started.body.checkout_url, "4242 4242 4242 4242");
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toBe(
      `https://tugboats.example.com/bought?session=${started.body.checkout_session_id}`,
    );
    await bed.t.runner.idle();
    expect(standin.deliveries()).toEqual([
      { event: expect.stringMatching(/^evt_/), type: "checkout.session.completed", status: 200 },
    ]);
    const [entitlement] = await entitlementsOf(buyer);
    expect(entitlement).toMatchObject({ source: "purchase", state: "active", revoked_at: null });

    // Acquiring again while it holds the entitlement answers it, not a second checkout.
    const again = await bed.api("POST", `/api/v1/store/listings/${listingId}/acquire`, buyer);
    expect(again.status).toBe(200);
    expect(again.body.entitlement.id).toBe(entitlement!.id);

    const install = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, buyer, {
      listing_id: listingId,
    });
    expect(install.status).toBe(201);
    const found = await bed.api("POST", `/api/v1/vaults/${vault}/search`, buyer, {
      query: "storm cranes wind",
    });
    // Served text carries the buyer's fingerprint in zero-width characters; the words are the fact's.
    const texts = found.body.results.map((r: { text: string }) => stripMarks(r.text));
    expect(texts).toContain(FACT);
  });

  it("answers 503 payments_unconfigured for a paid listing on a server without a Stripe key", async () => {
    const unpaid = { ...bed.t.ctx, config: { ...bed.t.ctx.config, STRIPE_SECRET_KEY: undefined } };
    const other = await authenticateApiKey(
      bed.t.ctx,
      await bed.organization("Barges", "owner@barges.example.com"),
    );
    await expect(acquire(unpaid, other, listingId)).rejects.toMatchObject({
      code: "payments_unconfigured",
      status: 503,
    });
  });

  it("records the sale in cents with the platform's fee, reconciling with what Stripe charged", async () => {
    const rows = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    const charged = standin.objects("payment_intent");
    expect(rows).toHaveLength(1);
    expect(charged).toHaveLength(1);
    // 15% of 1999 cents is 299.85: the fee is whole cents, rounded down.
    expect(rows[0]).toMatchObject({ amountCents: 1999, feeCents: 299, currency: "usd" });
    expect(rows[0]!.providerPaymentId).toBe(charged[0]!.id);
    expect(charged[0]).toMatchObject({ amount: rows[0]!.amountCents, currency: rows[0]!.currency });
  });

  it("applies a replayed event once, and records an event about an unknown checkout without acting", async () => {
    const [event] = standin.events();
    expect(await standin.resend(event!.id)).toBe(200);
    await bed.t.runner.idle();
    expect(await entitlementsOf(buyer)).toHaveLength(1);
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toHaveLength(1);

    const stripe = new Stripe(standin.apiKey);
    const stranger = {
      ...event!,
      id: "evt_unknown_checkout",
      data: { object: { id: "cs_test_nobody", object: "checkout.session", payment_status: "paid" } },
    };
    const payload = JSON.stringify(stranger);
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret: standin.webhookSecret });
    const answer = await fetch(`${bed.server.url}/api/v1/payments/stripe/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": header },
      body: payload,
    });
    expect(answer.status).toBe(200);
    await bed.t.runner.idle();
    const [stored] = await bed.t.ctx.db.select().from(paymentEvents).where(eq(paymentEvents.id, stranger.id));
    expect(stored?.outcome).toBe("ignored: unknown checkout cs_test_nobody");
  });

  it("refuses a webhook whose signature does not verify, storing nothing", async () => {
    const payload = JSON.stringify({ ...standin.events()[0]!, id: "evt_forged" });
    for (const signature of [`t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`, "", "garbage"]) {
      const answer = await fetch(`${bed.server.url}/api/v1/payments/stripe/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": signature },
        body: payload,
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
      expect((await answer.json()).code).toBe("webhook_signature_invalid");
    }
    // Signed with the right secret, but too old: 300 s is the tolerance.
    const stale = new Stripe(standin.apiKey).webhooks.generateTestHeaderString({
      payload,
      secret: standin.webhookSecret,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    const late = await fetch(`${bed.server.url}/api/v1/payments/stripe/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": stale },
      body: payload,
    });
    expect(late.status).toBe(400);
    // Not JSON, or past a megabyte: refused before any signature is checked.
    for (const [type, body, status] of [
      ["text/plain", payload, 415],
      ["application/json", "x".repeat((1 << 20) + 1), 413],
    ] as const) {
      const answer = await fetch(`${bed.server.url}/api/v1/payments/stripe/webhook`, {
        method: "POST",
        headers: { "content-type": type, "stripe-signature": stale },
        body,
      });
      expect(answer.status, type).toBe(status);
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(await bed.t.ctx.db.select().from(paymentEvents).where(eq(paymentEvents.id, "evt_forged"))).toEqual(
      [],
    );
  });

  it("lets the publisher revoke the entitlement with a refund: installs suspended, search without them at once, 402 after", async () => {
    const [held] = await entitlementsOf(buyer);
    const path = `/api/v1/entitlements/${held!.id}/revoke`;
    // Only the listing's publisher revokes; the holder (or anyone else) hears 404.
    expect((await bed.api("POST", path, buyer, { reason: "mine" })).status).toBe(404);
    expect((await bed.api("POST", path, bed.publisherKey, { reason: "" })).status).toBe(400);

    const revoked = await bed.api("POST", path, bed.publisherKey, { reason: "licence breach", refund: true });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: "revoked", revoked_reason: "licence breach" });
    expect((await bed.api("POST", path, bed.publisherKey, { reason: "again" })).status).toBe(409);

    // The very next search leaves the listing's chunks out; the install is suspended.
    const found = await bed.api("POST", `/api/v1/vaults/${buyerVault}/search`, buyer, {
      query: "storm cranes wind",
    });
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([]);
    const listed = await bed.api("GET", `/api/v1/vaults/${buyerVault}/installs`, buyer);
    expect(listed.body.items.map((i: { state: string }) => i.state)).toEqual(["suspended"]);
    expect(await entitlementsOf(buyer)).toMatchObject([
      { state: "revoked", revoked_reason: "licence breach" },
    ]);
    const other = (await bed.api("POST", "/api/v1/vaults", buyer, { name: "other" })).body.id;
    const refused = await bed.api("POST", `/api/v1/vaults/${other}/installs`, buyer, {
      listing_id: listingId,
    });
    expect([refused.status, refused.body.code]).toEqual([402, "entitlement_inactive"]);

    // The sale is refunded at Stripe, in full, and says so.
    const [sale] = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    const refunds = standin.objects("refund");
    expect(refunds).toMatchObject([
      { amount: 1999, payment_intent: sale!.providerPaymentId, status: "succeeded" },
    ]);
    expect(sale!.refundId).toBe(refunds[0]!.id);

    // entitlement.revoked reaches the vault's event stream.
    await bed.t.runner.idle();
    const events = await queryRows<{ type: string; data: { reason: string } }>(
      bed.t.ctx.db,
      sql`select type, data from vault_events where vault_id = ${buyerVault} order by seq`,
    );
    expect(events.filter((e) => e.type === "entitlement.revoked").map((e) => e.data.reason)).toEqual([
      "licence breach",
    ]);
  });

  it("reports the day's sales, fees and refunds in cents, and who holds the listing", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const report = await sdk(bed.publisherKey).commerce.sales({ from: today, to: today });
    expect(report.items.find((r) => r.listing_id === listingId)).toEqual({
      listing_id: listingId,
      day: today,
      currency: "usd",
      revenue_cents: 1999,
      fees_cents: 299,
      refunded_cents: 1999,
      new: 1,
      active: 0,
      canceled: 1,
      agent_calls: expect.any(Number),
      bytes_served: expect.any(Number),
      // No one tried it before buying.
      previews: { questions: 0, answered: 0, organizations: 0 },
    });
    // Too long a range, dates out of order, and days Postgres has no calendar for: 400, never 500.
    for (const range of [
      "from=2024-01-01&to=2026-01-01",
      "from=2026-02-01&to=2026-01-01",
      "from=0000-01-01&to=0000-01-05",
      "from=9999-12-30&to=9999-12-31",
      "from=2026-02-30",
    ]) {
      const refused = await bed.api("GET", `/api/v1/sales?${range}`, bed.publisherKey);
      expect([refused.status, refused.body.code], range).toEqual([400, "invalid_input"]);
    }

    const holders = await bed.api("GET", `/api/v1/listings/${listingId}/entitlements`, bed.publisherKey);
    expect(holders.body.items).toMatchObject([
      {
        organization: { slug: "tugboats" },
        source: "purchase",
        state: "revoked",
        revoked_reason: "licence breach",
      },
    ]);
    expect((await bed.api("GET", `/api/v1/listings/${listingId}/entitlements`, buyer)).status).toBe(404);
  });
});

import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { checkouts, entitlements, listingPrices, payoutAccounts, sales } from "@memstore/db";
import { type Standin, startStripeStandin } from "@memstore/stripe-standin";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCuttableProxy } from "./support/cuttable-proxy.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Stripe down is a dependency outage, like the database or the queue: the probe saw `500 internal`
 * (logged as unhandled) for every paid acquire while Stripe was unreachable. Here the real SDK
 * talks to the stand-in through a proxy the test cuts at an exact request — mid-acquire,
 * mid-revoke-with-refund, mid-payout-onboarding — and every route answers `503 dependency_down`
 * with Retry-After, writes nothing half-way, and completes when Stripe is back.
 */
let standin: Standin;
let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
const logged: string[] = [];

beforeAll(async () => {
  standin = await startStripeStandin();
  proxy = await startCuttableProxy(standin.url);
  bed = await openHttpTestbed(
    {
      STRIPE_SECRET_KEY: standin.apiKey,
      STRIPE_WEBHOOK_SECRET: standin.webhookSecret,
      STRIPE_API_URL: proxy.url,
    },
    { log: (line) => logged.push(line) },
  );
  await standin.setWebhookEndpoint(`${bed.server.url}/api/v1/payments/stripe/webhook`);
}, 120_000);

afterAll(async () => {
  await bed?.close();
  await proxy?.close();
  await standin?.close();
});

async function paidListing(slug: string) {
  const { cube } = await bed.submittedCube(slug, JSON.stringify({ text: `The ${slug} quay opens at six.` }));
  const made = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "one_time", amount_cents: 1200, currency: "usd" },
  });
  expect((await bed.api("POST", `/api/v1/listings/${made.body.id}/publish`, bed.publisherKey)).status).toBe(
    200,
  );
  return made.body.id as string;
}

/** The answer was Stripe's outage, said as one: 503 dependency_down, when to come back. */
function expectOutage(answer: { status: number; headers: Headers; body: { code: string } }) {
  expect([answer.status, answer.body.code]).toEqual([503, "dependency_down"]);
  expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
}

const path = (request: { url?: string }) => request.url?.split("?")[0] ?? "";

describe("Stripe out of reach", () => {
  it("answers an acquire cut before its checkout opens with 503, and opens none until Stripe is back", async () => {
    const listingId = await paidListing("stripe-down-acquire");
    const buyer = await bed.organization("Outage Buyers", "owner@outage-buyers.example.com");
    const buyerOrg = (await authenticateApiKey(bed.t.ctx, buyer)).orgId;
    // The customer and the price are made; Stripe dies as the session is asked for.
    proxy.cutWhen((r) => path(r) === "/v1/checkout/sessions");
    const refused = await bed.api("POST", `/api/v1/store/listings/${listingId}/acquire`, buyer);
    expectOutage(refused);
    expect(proxy.refused()).toContain("POST /v1/checkout/sessions");
    expect(await bed.t.ctx.db.select().from(checkouts).where(eq(checkouts.orgId, buyerOrg))).toEqual([]);

    // Down from the first call: nothing of the listing's price is recorded either.
    const other = await paidListing("stripe-down-price");
    proxy.cutWhen(() => true);
    expectOutage(await bed.api("POST", `/api/v1/store/listings/${other}/acquire`, buyer));
    expect(await bed.t.ctx.db.select().from(listingPrices).where(eq(listingPrices.listingId, other))).toEqual(
      [],
    );

    proxy.mend();
    const opened = await bed.api("POST", `/api/v1/store/listings/${listingId}/acquire`, buyer);
    expect(opened.status).toBe(201);
    expect(await bed.t.ctx.db.select().from(checkouts).where(eq(checkouts.orgId, buyerOrg))).toHaveLength(1);
  });

  it("answers a revoke with refund cut at the refund with 503, and leaves the entitlement and sale as they were", async () => {
    const listingId = await paidListing("stripe-down-revoke");
    const buyer = await bed.organization("Refund Holders", "owner@refund-holders.example.com");
    const started = await bed.api("POST", `/api/v1/store/listings/${listingId}/acquire`, buyer);
    const paid = await fetch(started.body.checkout_url, {
      method: "POST",
      body: new URLSearchParams({ card: "4242 4242 4242 4242" }),
      redirect: "manual",
    });
    expect(paid.status).toBe(303);
    await bed.t.runner.idle();
    const [held] = await bed.t.ctx.db
      .select()
      .from(entitlements)
      .where(eq(entitlements.listingId, listingId));
    expect(held?.state).toBe("active");

    proxy.cutWhen((r) => path(r) === "/v1/refunds");
    const revoke = () =>
      bed.api("POST", `/api/v1/entitlements/${held!.id}/revoke`, bed.publisherKey, {
        reason: "chargeback risk",
        refund: true,
      });
    expectOutage(await revoke());
    const [after] = await bed.t.ctx.db.select().from(entitlements).where(eq(entitlements.id, held!.id));
    expect(after).toMatchObject({ state: "active", revokedAt: null });
    const [sale] = await bed.t.ctx.db.select().from(sales).where(eq(sales.entitlementId, held!.id));
    expect(sale?.refundedAt).toBeNull();

    proxy.mend();
    const revoked = await revoke();
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe("revoked");
  });

  it("answers payout onboarding cut between the account and its link with 503; the retry reuses the account", async () => {
    const { api_key: seller, org_id: sellerOrg } = await createOrganization(bed.t.ctx, {
      name: "Outage Sellers",
      ownerEmail: "owner@outage-sellers.example.com",
    });
    proxy.cutWhen((r) => path(r) === "/v1/account_links");
    expectOutage(await bed.api("POST", "/api/v1/payouts/account", seller));
    const accounts = await bed.t.ctx.db
      .select()
      .from(payoutAccounts)
      .where(eq(payoutAccounts.orgId, sellerOrg));
    expect(accounts).toHaveLength(1);

    proxy.mend();
    const opened = await bed.api("POST", "/api/v1/payouts/account", seller);
    expect(opened.status).toBe(200);
    expect(opened.body.account.id).toBe(accounts[0]!.stripeAccountId);
    expect(
      await bed.t.ctx.db.select().from(payoutAccounts).where(eq(payoutAccounts.orgId, sellerOrg)),
    ).toEqual(accounts);
    expect(standin.objects("account").filter((a) => a.id === accounts[0]!.stripeAccountId)).toHaveLength(1);
  });

  it("logged each outage as one, never as an unhandled error", () => {
    expect(logged.some((l) => l.startsWith("dependency down:"))).toBe(true);
    expect(logged.filter((l) => l.includes("unhandled error"))).toEqual([]);
  });
});

import type { Standin, StripeObject } from "@memstore/stripe-standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCommerceTestbed } from "./support/commerce-bed.ts";

/**
 * Publishers are paid through Stripe Connect: an Express account opened from MemStore and onboarded
 * on Stripe's hosted page; from then on each sale is a destination charge — the publisher's share
 * transferred to its account, the platform's fee kept — and a refund takes the share back. What
 * GET /api/v1/payouts says reconciles to the cent with what the stand-in transferred.
 */
let standin: Standin;
let commerce: Awaited<ReturnType<typeof openCommerceTestbed>>;
let bed: typeof commerce.bed;

beforeAll(async () => {
  commerce = await openCommerceTestbed({ PLATFORM_FEE_BPS: "1250" });
  ({ bed, standin } = commerce);
});

afterAll(async () => {
  await commerce?.close();
});

const sdk = (key: string) => bed.client(key);

async function listed(slug: string, pricing: Record<string, unknown>) {
  const { cube } = await bed.submittedCube(slug, JSON.stringify({ text: `Facts of ${slug}.` }));
  const listing = await sdk(bed.publisherKey).request<{ id: string }>("POST", "/api/v1/listings", {
    cube_id: cube.id,
    visibility: "public",
    pricing,
  });
  await sdk(bed.publisherKey).request("POST", `/api/v1/listings/${listing.id}/publish`);
  return listing.id;
}

/** A new organisation pays for a listing on the hosted checkout page. */
async function buy(listingId: string, name: string) {
  const key = await bed.organization(name, `owner@${name.toLowerCase().replace(/\s+/g, "-")}.example.com`);
  const started = (await sdk(key).commerce.acquire(listingId)) as { checkout_url: string };
  const paid = await fetch(started.checkout_url, {
    method: "POST",
    body: new URLSearchParams({ card: "4242424242424242" }),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
  await bed.t.runner.idle();
  const held = (await sdk(key).commerce.entitlements()).items.find((e) => e.listing_id === listingId)!;
  return { key, entitlement: held.id };
}

/** What the stand-in moved to an account: transfers less what refunds reversed. */
const transferredTo = (account: string) =>
  standin
    .objects("transfer")
    .filter((t) => t.destination === account)
    .reduce((sum, t) => sum + (t.amount as number) - (t.amount_reversed as number), 0);

describe("payouts through Stripe Connect", () => {
  let account: string;
  let oneTime: string;

  it("holds the publisher's share of sales made before it has a payout account", async () => {
    oneTime = await listed("berth-windows", { model: "one_time", amount_cents: 1999, currency: "usd" });
    await buy(oneTime, "Early Buyers");
    const payouts = await sdk(bed.publisherKey).commerce.payouts();
    expect(payouts.account).toBeNull();
    expect(payouts.platform_fee_bps).toBe(1250);
    // 12.5% of 19.99 is 2.49875: the fee is 249 cents, rounded down, the share 1,750.
    expect(payouts.transfers).toEqual([
      expect.objectContaining({
        amount_cents: 1999,
        fee_cents: 249,
        share_cents: 1750,
        status: "held",
        destination: null,
      }),
    ]);
    expect(payouts.balances).toEqual([
      {
        currency: "usd",
        revenue_cents: 1999,
        fees_cents: 249,
        refunded_cents: 0,
        transferred_cents: 0,
        held_cents: 1750,
      },
    ]);
    expect(standin.objects("payment_intent").at(-1)).toMatchObject({ transfer_data: null });
  });

  it("opens an Express account whose hosted onboarding enables charges, told by account.updated", async () => {
    const opened = await sdk(bed.publisherKey).commerce.payoutAccount();
    account = opened.account.id;
    expect(opened.account).toMatchObject({ charges_enabled: false, payouts_enabled: false });
    expect(standin.objects("account")).toEqual([
      expect.objectContaining({
        id: account,
        type: "express",
        metadata: expect.objectContaining({ org_id: expect.any(String) }),
      }),
    ]);
    const page = await fetch(opened.onboarding_url);
    expect(await page.text()).toContain("Set up payouts");
    // Opening it again gives a new link to the same account.
    const again = await sdk(bed.publisherKey).commerce.payoutAccount();
    expect(again.account.id).toBe(account);
    expect(again.onboarding_url).not.toBe(opened.onboarding_url);

    const done = await fetch(opened.onboarding_url, { method: "POST", redirect: "manual" });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`${bed.t.ctx.config.publicUrl}/sales?payouts=connected`);
    await bed.t.runner.idle();
    const payouts = await sdk(bed.publisherKey).commerce.payouts();
    expect(payouts.account).toEqual({
      id: account,
      charges_enabled: true,
      payouts_enabled: true,
      details_submitted: true,
    });
  });

  it("makes each sale a destination charge: the share transferred, the platform's fee kept", async () => {
    await buy(oneTime, "Later Buyers");
    const intent = standin.objects("payment_intent").at(-1)!;
    expect(intent).toMatchObject({
      amount: 1999,
      application_fee_amount: 249,
      transfer_data: { destination: account },
    });
    expect(transferredTo(account)).toBe(1750);

    const monthly = await listed("tide-tables", {
      model: "subscription",
      amount_cents: 1200,
      currency: "usd",
      interval: "month",
    });
    await buy(monthly, "Subscribers");
    const sub = standin.objects("subscription").at(-1)!;
    expect(sub).toMatchObject({ application_fee_percent: 12.5, transfer_data: { destination: account } });
    // 12.5% of 12.00 is exactly 1.50: 10.50 goes to the publisher.
    expect(transferredTo(account)).toBe(1750 + 1050);

    const payouts = await sdk(bed.publisherKey).commerce.payouts();
    const transferred = payouts.transfers.filter((t) => t.status === "transferred");
    expect(transferred.map((t) => t.share_cents).sort()).toEqual([1050, 1750]);
    expect(transferred.every((t) => t.destination === account)).toBe(true);
    expect(payouts.balances).toEqual([
      {
        currency: "usd",
        revenue_cents: 1999 * 2 + 1200,
        fees_cents: 249 * 2 + 150,
        refunded_cents: 0,
        transferred_cents: transferredTo(account),
        held_cents: 1750,
      },
    ]);
  });

  it("takes the share back when a sale is refunded, and still reconciles with the stand-in", async () => {
    const buyer = await buy(oneTime, "Refunded Buyers");
    expect(transferredTo(account)).toBe(1750 * 2 + 1050);
    await sdk(bed.publisherKey).commerce.revoke(buyer.entitlement, {
      reason: "sold by mistake",
      refund: true,
    });
    expect(standin.objects("refund").at(-1)).toMatchObject({
      amount: 1999,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    const transfer = standin.objects("transfer").at(-1) as StripeObject;
    expect(transfer).toMatchObject({ amount: 1750, amount_reversed: 1750, reversed: true });
    const payouts = await sdk(bed.publisherKey).commerce.payouts();
    expect(payouts.transfers.filter((t) => t.status === "reversed")).toHaveLength(1);
    expect(payouts.balances[0]).toMatchObject({
      refunded_cents: 1999,
      transferred_cents: transferredTo(account),
      held_cents: 1750,
    });
    expect(payouts.balances[0]!.transferred_cents).toBe(1750 + 1050);
  });

  it("lets only the organisation's admins open the payout account", async () => {
    const publishOnly = (
      await bed.api("POST", "/api/v1/keys", bed.publisherKey, { name: "ci-publish", scopes: ["publish"] })
    ).body.key as string;
    const refused = await bed.api("POST", "/api/v1/payouts/account", publishOnly);
    expect(refused.status).toBe(403);
    expect((await bed.api("GET", "/api/v1/payouts", publishOnly)).status).toBe(200);
  });
});

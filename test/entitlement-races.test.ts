import { authenticateApiKey } from "@memstore/api/identity";
import { auditLog, checkouts, entitlements, sales } from "@memstore/db";
import type { Standin } from "@memstore/stripe-standin";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCommerceTestbed } from "./support/commerce-bed.ts";

/**
 * One entitlement per organisation and listing, under any race: a probe's 20 concurrent acquires
 * of a free listing left 10 entitlements, and 20 of a paid one opened 20 checkouts, two of which it
 * paid and was charged twice. A publisher could also buy its own listing, booking a wash sale.
 */
let commerce: Awaited<ReturnType<typeof openCommerceTestbed>>;
let bed: typeof commerce.bed;
let standin: Standin;

beforeAll(async () => {
  commerce = await openCommerceTestbed({ PLATFORM_FEE_BPS: "1000" });
  ({ bed, standin } = commerce);
}, 120_000);

afterAll(async () => {
  await commerce?.close();
});

const acquire = (key: string, listingId: string) =>
  bed.api("POST", `/api/v1/store/listings/${listingId}/acquire`, key);

const held = (orgId: string, listingId: string) =>
  bed.t.ctx.db
    .select()
    .from(entitlements)
    .where(and(eq(entitlements.orgId, orgId), eq(entitlements.listingId, listingId)));

/** A published listing of a ready cube of the publisher's, sold as `pricing` (one-time 15.00 USD). */
async function paidListing(
  slug: string,
  pricing: Record<string, unknown> = { model: "one_time", amount_cents: 1500, currency: "usd" },
  terms: Record<string, unknown> = {},
) {
  const { cube } = await bed.submittedCube(slug, JSON.stringify({ text: `The ${slug} berth opens at six.` }));
  const made = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
    cube_id: cube.id,
    visibility: "public",
    pricing,
    terms,
  });
  expect((await bed.api("POST", `/api/v1/listings/${made.body.id}/publish`, bed.publisherKey)).status).toBe(
    200,
  );
  return made.body.id as string;
}

/** A new buying organisation: its all-scopes key and its id. */
async function buyer(name: string) {
  const key = await bed.organization(name, `owner@${name.toLowerCase()}.example.com`);
  return { key, orgId: (await authenticateApiKey(bed.t.ctx, key)).orgId };
}

const pay = (url: string) =>
  fetch(url, {
    method: "POST",
    body: new URLSearchParams({ card: "4242 4242 4242 4242" }),
    redirect: "manual",
  });

/**
 * Two checkouts for one listing, both paid: a price change opens a second session beside the
 * first, still open, and the buyer pays both. The sessions, for the test to follow.
 */
async function payTwiceAcrossAPriceChange(key: string, listingId: string, pricing: Record<string, unknown>) {
  const first = (await acquire(key, listingId)).body;
  const patched = await bed.api("PATCH", `/api/v1/listings/${listingId}`, bed.publisherKey, { pricing });
  expect(patched.status).toBe(200);
  const second = (await acquire(key, listingId)).body;
  expect(second.checkout_session_id).not.toBe(first.checkout_session_id);
  expect((await pay(first.checkout_url)).status).toBe(303);
  expect((await pay(second.checkout_url)).status).toBe(303);
  await bed.t.runner.idle();
  return { first, second };
}

describe("one entitlement per organisation and listing", () => {
  it("grants one entitlement to 50 concurrent acquires of a free listing, and answers every one with it", async () => {
    const { listing } = await bed.listedCube("free-race", "# Tides\n\nThe flood tide turns at noon.\n");
    const { key, orgId } = await buyer("Racers");
    const answers = await Promise.all(Array.from({ length: 50 }, () => acquire(key, listing.id)));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(49).fill(200), 201]);
    expect(new Set(answers.map((a) => a.body.entitlement.id)).size).toBe(1);
    const rows = await held(orgId, listing.id);
    expect(rows).toHaveLength(1);
    const audits = await bed.t.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.orgId, orgId), eq(auditLog.action, "entitlement.created")));
    expect(audits).toHaveLength(1);
  });

  it("opens one checkout for 50 concurrent acquires of a paid listing, and one payment makes one sale", async () => {
    const listingId = await paidListing("paid-race");
    const { key, orgId } = await buyer("Rushers");
    const answers = await Promise.all(Array.from({ length: 50 }, () => acquire(key, listingId)));
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect(new Set(answers.map((a) => a.body.checkout_session_id)).size).toBe(1);
    const opened = await bed.t.ctx.db.select().from(checkouts).where(eq(checkouts.listingId, listingId));
    expect(opened).toHaveLength(1);
    expect(
      standin
        .objects("checkout.session")
        .filter((s) => (s.metadata as Record<string, string>).listing_id === listingId),
    ).toHaveLength(1);

    expect((await pay(answers[0]!.body.checkout_url)).status).toBe(303);
    await bed.t.runner.idle();
    expect(await held(orgId, listingId)).toHaveLength(1);
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).toHaveLength(1);
    const again = await acquire(key, listingId);
    expect(again.status).toBe(200);
  });

  it("refunds and audits a second payment completing for a listing already held", async () => {
    const listingId = await paidListing("twice-paid", {
      model: "one_time",
      amount_cents: 2500,
      currency: "usd",
    });
    const { key, orgId } = await buyer("Doublers");
    const { first, second } = await payTwiceAcrossAPriceChange(key, listingId, {
      model: "one_time",
      amount_cents: 2700,
      currency: "usd",
    });

    const rows = await held(orgId, listingId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.checkoutSessionId).toBe(first.checkout_session_id);
    const booked = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    expect(booked.map((s) => s.amountCents)).toEqual([2500]);
    const secondIntent = standin
      .objects("checkout.session")
      .find((s) => s.id === second.checkout_session_id)!.payment_intent;
    const refunds = standin.objects("refund").filter((r) => r.payment_intent === secondIntent);
    expect(refunds.map((r) => r.amount)).toEqual([2700]);
    const [audit] = await bed.t.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.orgId, orgId), eq(auditLog.action, "payment.duplicate_refunded")));
    expect(audit?.data).toMatchObject({
      held_entitlement_id: rows[0]!.id,
      refund_id: refunds[0]!.id,
      amount_cents: 2700,
      currency: "usd",
    });
  });

  it("cancels a second subscription started for a listing already held, refunds its first invoice and audits it", async () => {
    const listingId = await paidListing("twice-subscribed", {
      model: "subscription",
      amount_cents: 900,
      currency: "usd",
      interval: "month",
    });
    const { key, orgId } = await buyer("Resubscribers");
    const { first, second } = await payTwiceAcrossAPriceChange(key, listingId, {
      model: "subscription",
      amount_cents: 1100,
      currency: "usd",
      interval: "month",
    });

    const rows = await held(orgId, listingId);
    expect(rows.filter((r) => r.state === "active")).toHaveLength(1);
    const session = (id: string) => standin.objects("checkout.session").find((s) => s.id === id)!;
    const [kept, dropped] = [session(first.checkout_session_id), session(second.checkout_session_id)];
    expect(rows[0]!.stripeSubscriptionId).toBe(kept.subscription);
    const subscription = standin.objects("subscription").find((s) => s.id === dropped.subscription)!;
    expect(subscription.status).toBe("canceled");
    const refunded = standin
      .objects("refund")
      .filter((r) => (r.metadata as Record<string, string>).held_entitlement_id === rows[0]!.id);
    expect(refunded.map((r) => r.amount)).toEqual([1100]);
    const booked = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    expect(booked.map((s) => s.amountCents)).toEqual([900]);
    const [audit] = await bed.t.ctx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.orgId, orgId), eq(auditLog.action, "payment.duplicate_refunded")));
    expect(audit).toMatchObject({ objectType: "subscription", objectId: dropped.subscription });
  });

  it("sells again to a buyer whose paid entitlement lapsed before the expiry sweep saw it, refunding nothing", async () => {
    const listingId = await paidListing(
      "lapsed-rebuy",
      { model: "one_time", amount_cents: 800, currency: "usd" },
      { valid_days: 30 },
    );
    const { key, orgId } = await buyer("Rebuyers");
    expect((await pay((await acquire(key, listingId)).body.checkout_url)).status).toBe(303);
    await bed.t.runner.idle();
    // Its 30 days are over; the sweep has not run yet.
    await bed.t.ctx.db
      .update(entitlements)
      .set({ validUntil: new Date(Date.now() - 60_000) })
      .where(and(eq(entitlements.orgId, orgId), eq(entitlements.listingId, listingId)));

    const again = await acquire(key, listingId);
    expect(again.status).toBe(201);
    expect((await pay(again.body.checkout_url)).status).toBe(303);
    await bed.t.runner.idle();
    const rows = await held(orgId, listingId);
    expect(rows.map((r) => r.state).sort()).toEqual(["active", "expired"]);
    const booked = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    expect(booked.map((s) => s.amountCents)).toEqual([800, 800]);
    const intents = standin
      .objects("checkout.session")
      .filter((s) => (s.metadata as Record<string, string>).listing_id === listingId)
      .map((s) => s.payment_intent);
    expect(standin.objects("refund").filter((r) => intents.includes(r.payment_intent))).toEqual([]);
  });

  it("refuses a publisher its own listing, free or paid, and books no sale; it installs its own by a grant", async () => {
    const { listing } = await bed.listedCube("own-free", "# Own\n\nThe own berth is nine.\n");
    const paid = await paidListing("own-paid");
    for (const id of [listing.id, paid]) {
      const refused = await acquire(bed.publisherKey, id);
      expect([refused.status, refused.body.code], id).toEqual([409, "conflict"]);
    }
    expect(await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, paid))).toEqual([]);
    expect(await bed.t.ctx.db.select().from(checkouts).where(eq(checkouts.listingId, paid))).toEqual([]);

    const vault = (await bed.api("POST", "/api/v1/vaults", bed.publisherKey, { name: "own" })).body.id;
    const installed = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, bed.publisherKey, {
      listing_id: paid,
    });
    expect(installed.status).toBe(201);
    const holders = await bed.api("GET", `/api/v1/listings/${paid}/entitlements`, bed.publisherKey);
    expect(holders.body.items).toEqual([]);
    const own = await bed.api("GET", "/api/v1/entitlements", bed.publisherKey);
    const grant = (own.body.items as Array<{ listing_id: string; source: string }>).filter(
      (e) => e.listing_id === paid,
    );
    expect(grant.map((e) => e.source)).toEqual(["grant"]);
  });
});

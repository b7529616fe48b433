import { sales } from "@memstore/db";
import { type BodyOf } from "@memstore/sdk";
import type { Standin } from "@memstore/stripe-standin";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCommerceTestbed } from "./support/commerce-bed.ts";
import { runMemstore } from "./support/processes.ts";

/**
 * A publisher manages what it sells: edits a listing's words and price (new buyers pay the new
 * price at once, running subscriptions at their next renewal), and makes one organisation a
 * private offer that nobody else sees — all through the SDK, paid through the Stripe stand-in.
 */
let standin: Standin;
let commerce: Awaited<ReturnType<typeof openCommerceTestbed>>;
let bed: typeof commerce.bed;
const DAY = 86_400;

beforeAll(async () => {
  commerce = await openCommerceTestbed();
  ({ bed, standin } = commerce);
});

afterAll(async () => {
  await commerce?.close();
});

type ListingInput = BodyOf<"/api/v1/listings", "post">;
const sdk = (key: string) => bed.client(key);

async function listing(
  slug: string,
  pricing: ListingInput["pricing"],
  visibility: ListingInput["visibility"] = "public",
) {
  const { cube } = await bed.submittedCube(slug, JSON.stringify({ text: `Notes on ${slug}.` }));
  const made = await sdk(bed.publisherKey).createListing({ cube_id: cube.id, visibility, pricing });
  await sdk(bed.publisherKey).publishListing(made.id);
  return made.id;
}

/** Pays a checkout with the test card that succeeds; the page's heading first. */
async function pay(url: string) {
  const heading = /<h1>([^<]*)<\/h1>/.exec(await (await fetch(url)).text())?.[1];
  const paid = await fetch(url, {
    method: "POST",
    body: new URLSearchParams({ card: "4242424242424242" }),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
  await bed.t.runner.idle();
  return heading;
}

const salesOf = async (listingId: string) =>
  (await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId))).map((s) => s.amountCents);

describe("editing a listing", () => {
  it("charges new buyers the new price at once, and shows the new words in the store", async () => {
    const id = await listing("tide-tables", { model: "one_time", amount_cents: 1000, currency: "usd" });
    const first = await bed.organization("Firstmate", "owner@firstmate.example.com");
    const bought = (await sdk(first).commerce.acquire(id)) as { checkout_url: string };
    expect(await pay(bought.checkout_url)).toBe("Pay 10.00 USD");

    const edited = await sdk(bed.publisherKey).updateListing(id, {
      title: "Tide tables, Baltic edition",
      description: "Hourly tides for every Baltic port",
      pricing: { model: "one_time", amount_cents: 1500, currency: "usd" },
      terms: { calls_per_day: 500 },
    });
    expect(edited).toMatchObject({ pricing: { amount_cents: 1500 }, terms: { calls_per_day: 500 } });
    const second = await bed.organization("Secondmate", "owner@secondmate.example.com");
    const card = await bed.api("GET", `/api/v1/store/listings/${id}`, second);
    expect(card.body).toMatchObject({
      cube: { title: "Tide tables, Baltic edition", description: "Hourly tides for every Baltic port" },
      pricing: { amount_cents: 1500 },
    });
    const found = await bed.api("GET", "/api/v1/store/listings?q=baltic", second);
    expect(found.body.items.map((l: { id: string }) => l.id)).toContain(id);
    const again = (await sdk(second).commerce.acquire(id)) as { checkout_url: string };
    expect(await pay(again.checkout_url)).toBe("Pay 15.00 USD");
    expect((await salesOf(id)).sort()).toEqual([1000, 1500]);
  });

  it("shows a publisher's script its listings and sales through `memstore listings` and `memstore sales`", async () => {
    const env = { MEMSTORE_API_KEY: bed.publisherKey, MEMSTORE_URL: bed.server.url };
    const listed = await runMemstore(["listings"], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/lst_\w+\s+published\s+tide-tables\s+15\.00 USD\s+0 installs/);
    const sold = await runMemstore(["sales"], env);
    expect(sold.code, sold.stderr).toBe(0);
    expect(sold.stdout).toMatch(/revenue 25\.00 USD {2}fees 2\.50 USD {2}refunded 0\.00 USD {2}new 2/);
    const json = JSON.parse((await runMemstore(["sales", "--json"], env)).stdout);
    expect(json.items.some((d: { revenue_cents: number }) => d.revenue_cents === 2500)).toBe(true);
  });

  it("moves a running subscription to the new price at its next renewal, not before", async () => {
    const id = await listing("tide-feed", {
      model: "subscription",
      amount_cents: 900,
      currency: "usd",
      interval: "month",
    });
    const holder = await bed.organization("Harbourmaster", "owner@harbourmaster.example.com");
    await pay(((await sdk(holder).commerce.acquire(id)) as { checkout_url: string }).checkout_url);
    expect(await salesOf(id)).toEqual([900]);

    await sdk(bed.publisherKey).updateListing(id, {
      pricing: { model: "subscription", amount_cents: 1200, currency: "usd", interval: "month" },
    });
    const sub = standin
      .objects("subscription")
      .find((s) => (s.metadata as { listing_id: string }).listing_id === id)!;
    const item = (
      sub.items as { data: Array<{ price: { unit_amount: number }; current_period_end: number }> }
    ).data[0]!;
    expect(item.price.unit_amount).toBe(1200);
    // The period paid for is untouched: nothing charged or credited now.
    expect(await salesOf(id)).toEqual([900]);
    await standin.advanceClock(item.current_period_end + DAY - standin.now());
    await bed.t.runner.idle();
    expect(await salesOf(id)).toEqual([900, 1200]);
  });

  it("refuses out-of-range prices, an empty edit and a retired listing with clear errors", async () => {
    const id = await listing("tide-bad", { model: "free" });
    for (const body of [
      { pricing: { model: "one_time", amount_cents: 0, currency: "usd" } },
      { pricing: { model: "one_time", amount_cents: 1_000_000_000, currency: "usd" } },
      { pricing: { model: "one_time", amount_cents: 10.5, currency: "usd" } },
      { pricing: { model: "one_time", amount_cents: 100, currency: "USD" } },
      { title: "" },
      {},
    ]) {
      const refused = await bed.api("PATCH", `/api/v1/listings/${id}`, bed.publisherKey, body);
      expect([refused.status, refused.body.code], JSON.stringify(body)).toEqual([400, "invalid_input"]);
    }
    await sdk(bed.publisherKey).setListingStatus(id, "retire");
    const late = await bed.api("PATCH", `/api/v1/listings/${id}`, bed.publisherKey, { title: "Back" });
    expect([late.status, late.body.code]).toEqual([409, "conflict"]);
  });
});

describe("currencies", () => {
  it("refuses a currency outside ISO 4217 on listings, edits and offers, and writes nothing", async () => {
    const { cube } = await bed.submittedCube("tide-coins", JSON.stringify({ text: "Notes on coins." }));
    const id = await listing("tide-coins-listed", { model: "free" });
    await bed.organization("Coin Buyers", "owner@coin-buyers.example.com");
    for (const currency of ["xyz", "zzz"]) {
      const pricing = { model: "one_time", amount_cents: 500, currency };
      const made = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
        cube_id: cube.id,
        visibility: "public",
        pricing,
      });
      const patched = await bed.api("PATCH", `/api/v1/listings/${id}`, bed.publisherKey, { pricing });
      const offered = await bed.api("POST", `/api/v1/listings/${id}/offers`, bed.publisherKey, {
        org_slug: "coin-buyers",
        pricing,
      });
      for (const refused of [made, patched, offered]) {
        expect([refused.status, refused.body.code]).toEqual([400, "invalid_input"]);
        expect(refused.body.detail).toContain("ISO 4217");
      }
    }
    const mine = (await bed.api("GET", "/api/v1/listings?limit=100", bed.publisherKey)).body.items as Array<{
      cube_id: string;
    }>;
    // The draft listing the fixture made is the cube's only one.
    expect(mine.filter((l) => l.cube_id === cube.id)).toHaveLength(1);
    expect((await bed.api("GET", `/api/v1/store/listings/${id}`, bed.publisherKey)).body.pricing).toEqual({
      model: "free",
    });
  });

  it("sells in yen with no minor unit: the checkout asks the whole amount and the sale books it as sent", async () => {
    const id = await listing("tide-yen", { model: "one_time", amount_cents: 1500, currency: "jpy" });
    const buyer = await bed.organization("Yen Buyers", "owner@yen-buyers.example.com");
    const started = await sdk(buyer).commerce.acquire(id);
    expect(await pay((started as { checkout_url: string }).checkout_url)).toBe("Pay 1500 JPY");
    expect(await salesOf(id)).toEqual([1500]);
  });
});

describe("private offers", () => {
  it("lets only the offered organisation see a private listing and buy it at the offered price", async () => {
    const id = await listing(
      "pilotage",
      { model: "one_time", amount_cents: 5000, currency: "usd" },
      "private",
    );
    const pilot = await bed.organization("Pilots", "owner@pilots.example.com");
    const stranger = await bed.organization("Strangers", "owner@strangers.example.com");
    expect((await bed.api("GET", `/api/v1/store/listings/${id}`, pilot)).status).toBe(404);

    const offer = await sdk(bed.publisherKey).commerce.offer(id, {
      org_slug: "pilots",
      pricing: { model: "one_time", amount_cents: 3000, currency: "usd" },
      terms: { valid_days: 30 },
    });
    expect(offer).toMatchObject({ organization: { slug: "pilots" }, pricing: { amount_cents: 3000 } });

    const seen = await bed.api("GET", `/api/v1/store/listings/${id}`, pilot);
    expect(seen.status).toBe(200);
    expect(seen.body.offers).toMatchObject([{ id: offer.id, pricing: { amount_cents: 3000 } }]);
    expect((await bed.api("GET", `/api/v1/store/listings/${id}`, stranger)).status).toBe(404);
    const strangerTry = await bed.api("POST", `/api/v1/store/listings/${id}/acquire`, stranger, {
      offer_id: offer.id,
    });
    expect(strangerTry.status).toBe(404);

    const started = (await sdk(pilot).commerce.acquire(id, { offer_id: offer.id })) as {
      checkout_url: string;
    };
    expect(await pay(started.checkout_url)).toBe("Pay 30.00 USD");
    const [held] = (await sdk(pilot).commerce.entitlements()).items.filter((e) => e.listing_id === id);
    expect(held).toMatchObject({ source: "offer", offer_id: offer.id, state: "active" });
    // The offer's terms, not the listing's: thirty days.
    const days = (Date.parse(held!.valid_until!) - Date.parse(held!.valid_from)) / 86_400_000;
    expect(days).toBe(30);
    expect(await salesOf(id)).toEqual([3000]);
  });

  it("holds the offered organisation to the offer's own calls_per_day and purposes, not the listing's", async () => {
    const id = await listing("pilotage-terms", { model: "free" });
    await sdk(bed.publisherKey).updateListing(id, { terms: { calls_per_day: 100 } });
    const fleet = await bed.organization("Fleet", "owner@fleet.example.com");
    const offer = await sdk(bed.publisherKey).commerce.offer(id, {
      org_slug: "fleet",
      pricing: { model: "free" },
      terms: { calls_per_day: 2, purposes: ["navigation"] },
    });
    await sdk(fleet).commerce.acquire(id, { offer_id: offer.id });
    const vault = (await bed.api("POST", "/api/v1/vaults", fleet, { name: "bridge" })).body.id as string;
    const installed = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, fleet, { listing_id: id });
    expect(installed.status, JSON.stringify(installed.body)).toBe(201);
    await bed.t.runner.idle();
    const search = (purpose: string) =>
      fetch(`${bed.server.url}/api/v1/vaults/${vault}/search`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${fleet}`,
          "content-type": "application/json",
          "memstore-purpose": purpose,
        },
        body: JSON.stringify({ query: "pilotage" }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    // Another purpose than the offer licenses: left out, and not counted.
    const training = await search("training");
    expect(training.body.excluded).toEqual([{ install_id: installed.body.id, code: "purpose_not_licensed" }]);
    expect((await search("navigation")).body.results).toHaveLength(1);
    expect((await search("navigation")).status).toBe(200);
    const third = await search("navigation");
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ code: "license_rate", limit: 2 });
  });

  it("grants a free offer at once, and refuses offers to nobody, to oneself or already expired", async () => {
    const id = await listing("pilotage-free", { model: "one_time", amount_cents: 5000, currency: "usd" });
    const guest = await bed.organization("Guests", "owner@guests.example.com");
    const offer = await sdk(bed.publisherKey).commerce.offer(id, {
      org_slug: "guests",
      pricing: { model: "free" },
    });
    const got = await bed.api("POST", `/api/v1/store/listings/${id}/acquire`, guest, { offer_id: offer.id });
    expect(got.status).toBe(201);
    expect(got.body.entitlement).toMatchObject({ source: "offer", offer_id: offer.id });

    const path = `/api/v1/listings/${id}/offers`;
    const free = { model: "free" };
    const cases: Array<[unknown, number]> = [
      [{ org_slug: "nobody-here", pricing: free }, 404],
      [{ org_slug: "harbour-experts", pricing: free }, 400],
      [{ org_slug: "guests", pricing: free, expires_at: "2020-01-01T00:00:00Z" }, 400],
      [{ org_slug: "guests", pricing: { model: "one_time", amount_cents: -1, currency: "usd" } }, 400],
    ];
    for (const [body, status] of cases) {
      expect((await bed.api("POST", path, bed.publisherKey, body)).status, JSON.stringify(body)).toBe(status);
    }
  });
});

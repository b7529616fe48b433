import { pushUsageToStripe } from "@memstore/api/payments";
import { entitlements, queryRows, sales, sql } from "@memstore/db";
import type { Standin } from "@memstore/stripe-standin";
import { stripMarks } from "@memstore/watermark";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCommerceTestbed } from "./support/commerce-bed.ts";

/**
 * A usage-priced listing end to end: bought through a subscription-mode checkout that charges
 * nothing up front, its calls counted with every search, the billable ones (past the included
 * calls, up to the monthly cap) reported to Stripe's meter exactly once, the month invoiced by the
 * stand-in from what its meter recorded, and the subscriber's usage report adding up to that
 * invoice to the cent. The cap stops charges, not service.
 */
let standin: Standin;
let commerce: Awaited<ReturnType<typeof openCommerceTestbed>>;
let bed: typeof commerce.bed;

const FACT = "Tug assistance is mandatory for vessels over 200 metres entering the inner harbour.";
const PRICING = {
  model: "usage",
  unit_amount_cents: 250,
  currency: "usd",
  included_calls: 1000,
  monthly_cap_cents: 500,
} as const;

beforeAll(async () => {
  commerce = await openCommerceTestbed({ PLATFORM_FEE_BPS: "1000" });
  ({ bed, standin } = commerce);
});

afterAll(async () => {
  await commerce?.close();
});

const sdk = (key: string) => bed.client(key);
const today = () => new Date().toISOString().slice(0, 10);

describe("a usage-priced listing", () => {
  let listingId: string;
  let buyer: { key: string; vault: string; install: string; orgId: string };

  const search = async () => {
    const found = await bed.api("POST", `/api/v1/vaults/${buyer.vault}/search`, buyer.key, {
      query: "tug assistance inner harbour",
    });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    return found.body.results.map((r: { text: string }) => stripMarks(r.text)) as string[];
  };

  /**
   * A day's heavy traffic without making every call: the same counters the search path raises
   * (the listing's daily count and the install's meter), raised by `calls` at once.
   */
  const traffic = async (calls: number) => {
    await bed.t.ctx.db.execute(
      sql`update license_usage set calls = calls + ${calls}
          where org_id = ${buyer.orgId} and listing_id = ${listingId} and day = ${today()}`,
    );
    await bed.t.ctx.db.execute(
      sql`update usage_daily set calls = calls + ${calls}
          where org_id = ${buyer.orgId} and install_id = ${buyer.install} and day = ${today()}`,
    );
  };

  const meterEvents = () => standin.objects("billing.meter_event");
  const metered = () =>
    meterEvents().reduce((sum, e) => sum + Number((e.payload as { value: string }).value), 0);

  it("is bought through a checkout that charges nothing now, on a metered price per 1,000 calls", async () => {
    const { cube } = await bed.submittedCube("harbour-pilotage", JSON.stringify({ text: FACT }));
    const listed = await sdk(bed.publisherKey).request<{ id: string }>("POST", "/api/v1/listings", {
      cube_id: cube.id,
      visibility: "public",
      pricing: PRICING,
    });
    listingId = listed.id;
    await sdk(bed.publisherKey).request("POST", `/api/v1/listings/${listingId}/publish`);

    const key = await bed.organization("Harbour Tugs", "owner@tugs.example.com");
    const vault = (await bed.api("POST", "/api/v1/vaults", key, { name: "bridge" })).body.id as string;
    const started = (await sdk(key).commerce.acquire(listingId)) as { checkout_url: string };
    const page = await (await fetch(started.checkout_url)).text();
    expect(page).toContain("Subscribe: 2.50 USD per 1,000 units used, billed each month");
    const paid = await fetch(started.checkout_url, {
      method: "POST",
      body: new URLSearchParams({ card: "4242 4242 4242 4242" }),
      redirect: "manual",
    });
    expect(paid.status).toBe(303);
    await bed.t.runner.idle();

    const price = standin.objects("price").at(-1)!;
    expect(price).toMatchObject({
      unit_amount: 250,
      currency: "usd",
      recurring: { interval: "month", usage_type: "metered" },
      transform_quantity: { divide_by: 1000, round: "up" },
    });
    const meter = standin.objects("billing.meter").at(-1)!;
    expect(meter).toMatchObject({
      event_name: `memstore_calls_${listingId}`,
      default_aggregation: { formula: "sum" },
    });
    expect((price.recurring as { meter: string }).meter).toBe(meter.id);
    // Billed per UTC month: the first period ends at the start of the next.
    const sub = standin.objects("subscription").at(-1)!;
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000;
    expect((sub.items as { data: Array<{ current_period_end: number }> }).data[0]!.current_period_end).toBe(
      nextMonth,
    );
    expect(standin.objects("invoice").at(-1)).toMatchObject({ amount_paid: 0 });

    const held = (await sdk(key).commerce.entitlements()).items.find((e) => e.listing_id === listingId)!;
    expect(held).toMatchObject({ source: "subscription", state: "active" });
    const install = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, key, { listing_id: listingId });
    expect(install.status, JSON.stringify(install.body)).toBe(201);
    await bed.t.runner.idle();
    const [row] = await bed.t.ctx.db.select().from(entitlements).where(eq(entitlements.id, held.id));
    buyer = { key, vault, install: install.body.id, orgId: row!.orgId };
  });

  it("counts each search, and reports nothing while the calls are within the included ones", async () => {
    for (let i = 0; i < 3; i++) expect(await search()).toEqual([FACT]);
    const [counted] = await queryRows<{ calls: number }>(
      bed.t.ctx.db,
      sql`select calls from license_usage where org_id = ${buyer.orgId} and listing_id = ${listingId}`,
    );
    expect(counted!.calls).toBe(3);
    expect(await pushUsageToStripe(bed.t.ctx)).toBe(0);
    expect(meterEvents()).toEqual([]);
    const usage = await sdk(buyer.key).commerce.usage();
    expect(usage.items).toEqual([
      expect.objectContaining({
        day: today(),
        install_id: buyer.install,
        calls: 3,
        spend_cents: 0,
        currency: "usd",
      }),
    ]);
  });

  it("reports the billable calls once, however often or concurrently it runs", async () => {
    await traffic(1500); // 1,503 calls: 503 past the 1,000 included
    const runs = await Promise.all([
      pushUsageToStripe(bed.t.ctx),
      pushUsageToStripe(bed.t.ctx),
      pushUsageToStripe(bed.t.ctx),
    ]);
    expect(runs.reduce((a, b) => a + b, 0)).toBe(1);
    expect(meterEvents()).toHaveLength(1);
    expect(meterEvents()[0]).toMatchObject({
      event_name: `memstore_calls_${listingId}`,
      payload: { value: "503" },
    });
    expect(await pushUsageToStripe(bed.t.ctx)).toBe(0);
    // One started block of 1,000 so far: 2.50.
    const usage = await sdk(buyer.key).commerce.usage();
    expect(usage.spend).toEqual([{ currency: "usd", spend_cents: 250 }]);
  });

  it("stops charging at the monthly cap while the calls go on being served", async () => {
    await traffic(5000); // 6,503 calls; the cap of 5.00 pays for two blocks: 2,000 billable calls
    expect(await pushUsageToStripe(bed.t.ctx)).toBe(1);
    expect(metered()).toBe(2000);
    expect(await search()).toEqual([FACT]);
    await traffic(10_000);
    expect(await pushUsageToStripe(bed.t.ctx)).toBe(0);
    expect(metered()).toBe(2000);
    const usage = await sdk(buyer.key).commerce.usage();
    expect(usage.items[0]).toMatchObject({ calls: 16_504, spend_cents: 500 });
    expect(usage.spend).toEqual([{ currency: "usd", spend_cents: 500 }]);
  });

  it("is invoiced at the month's end for what the meter recorded, which the usage report and the sale match to the cent", async () => {
    const sub = standin.objects("subscription").at(-1)!;
    const periodEnd = (sub.items as { data: Array<{ current_period_end: number }> }).data[0]!
      .current_period_end;
    await standin.advanceClock(periodEnd - standin.now() + 60);
    await bed.t.runner.idle();
    const invoice = standin.objects("invoice").at(-1)!;
    expect(invoice).toMatchObject({ billing_reason: "subscription_cycle", amount_paid: 500, status: "paid" });
    const sold = await bed.t.ctx.db.select().from(sales).where(eq(sales.listingId, listingId));
    expect(sold).toEqual([expect.objectContaining({ amountCents: 500, feeCents: 50, currency: "usd" })]);
    const usage = await sdk(buyer.key).commerce.usage();
    expect(usage.spend).toEqual([{ currency: "usd", spend_cents: invoice.amount_paid }]);
    const report = await sdk(bed.publisherKey).commerce.sales();
    const day = report.items.find((d) => d.listing_id === listingId && d.revenue_cents > 0);
    expect(day).toMatchObject({ revenue_cents: 500, fees_cents: 50, currency: "usd" });
  });

  it("refuses a usage report over a range that runs backwards or past a year", async () => {
    const backwards = await bed.api("GET", "/api/v1/usage?from=2026-03-02&to=2026-03-01", buyer.key);
    expect(backwards.status).toBe(400);
    expect(backwards.body.code).toBe("invalid_input");
    const long = await bed.api("GET", "/api/v1/usage?from=2024-01-01&to=2025-06-01", buyer.key);
    expect(long.status).toBe(400);
  });
});

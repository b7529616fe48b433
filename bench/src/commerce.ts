/**
 * bench/commerce: what selling costs an agent and a buyer, on Postgres with the real Stripe SDK
 * pointed at the local stand-in.
 *
 *   npm run bench:commerce -- [--purchases 100] [--searches 300] [--burst 10000] [--limit 5000] [--concurrency 32]
 *
 * 1. Checkout to entitlement: a buyer pays on the stand-in's hosted page; the signed webhook is
 *    verified, stored and handed to the `payment-event` job, which grants the entitlement. Timed
 *    from the card's submission to the entitlement row, p50/p95 over `--purchases` buyers.
 * 2. License check overhead per search: the same small corpus installed twice — once from a listing
 *    without terms, once from one with a `calls_per_day` (so every search claims a counter row) —
 *    searched alternately in the same run; p50/p95 of each and the difference.
 * 3. A burst of `--burst` searches, `--concurrency` at a time, against a `--limit`-a-day license:
 *    how many were admitted (exactly the limit, or the counter is wrong) and the latency.
 *
 * Figures print as a table and go to bench/results/commerce.{json,svg}.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type AppContext, loadConfig, openRuntime } from "@memstore/api";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { publishCube } from "@memstore/api/catalog";
import { createListing, publishListing } from "@memstore/api/listings";
import { acquire, acquireListing } from "@memstore/api/store";
import type { Pricing } from "@memstore/sdk";
import { createVault, installListing } from "@memstore/api/vaults";
import { searchVault } from "@memstore/api/search";
import { AppError, newId, type Subject } from "@memstore/core";
import { entitlements, queryRows, sql } from "@memstore/db";
import { startStripeStandin } from "@memstore/stripe-standin";
import { startHttpServer } from "@memstore/web";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { eq } from "drizzle-orm";
import { benchArgs, freshDatabase } from "./bench-db.ts";
import { barChartSvg, summarise } from "./stats.ts";

const args = benchArgs();
const purchases = Number(args.purchases ?? 100);
const searches = Number(args.searches ?? 300);
const burst = Number(args.burst ?? 10_000);
const limit = Number(args.limit ?? 5_000);
const concurrency = Number(args.concurrency ?? 32);

const NAME = "memstore_bench_commerce";
const url = await freshDatabase(NAME);

const standin = await startStripeStandin();
const config = loadConfig({
  DATABASE_URL: url.toString(),
  MEMSTORE_DATA_DIR: mkdtempSync(join(tmpdir(), "memstore-bench-")),
  STRIPE_SECRET_KEY: standin.apiKey,
  STRIPE_WEBHOOK_SECRET: standin.webhookSecret,
  STRIPE_API_URL: standin.url,
});
const runner = new InProcessRunner();
const runtime = await openRuntime(config, runner, { migrate: true, log: () => {} });
const ctx: AppContext = runtime;
runner.register(createProcessors(ctx));
const server = await startHttpServer(ctx, { port: 0, host: "127.0.0.1" });
await standin.setWebhookEndpoint(`${server.url}/api/v1/payments/stripe/webhook`);

const made = await createOrganization(ctx, { name: "Bench Publisher", ownerEmail: "pub@bench.example.com" });
const publisher = await authenticateApiKey(ctx, made.api_key);
let orgs = 0;
const newOrg = async () => {
  const org = await createOrganization(ctx, {
    name: `Bench Buyer ${++orgs}`,
    ownerEmail: `buyer-${orgs}@bench.example.com`,
  });
  return authenticateApiKey(ctx, org.api_key);
};

/** A listed cube of a few dozen facts, processed by the real pipeline. */
async function listed(slug: string, pricing: Pricing, terms: Record<string, unknown>) {
  const facts = Array.from(
    { length: 60 },
    (_, i) => `## Berth ${i}\nCranes at berth ${i} lift ${20 + i} tonnes.\n`,
  );
  const { cube } = await publishCube(
    ctx,
    publisher,
    { slug, type: "plaintext", title: slug },
    { payload: facts.join("\n"), contentType: "text/markdown" },
  );
  await runner.idle();
  const listing = await createListing(ctx, publisher, {
    cube_id: cube.id,
    visibility: "public",
    pricing,
    terms,
  });
  await publishListing(ctx, publisher, listing.id);
  return listing.id;
}

async function installed(subject: Subject, listingId: string) {
  await acquireListing(ctx, subject, listingId);
  const vault = await createVault(ctx, subject, { name: newId("v") });
  await installListing(ctx, subject, vault.id, { listing_id: listingId, version_policy: "latest" });
  await runner.idle();
  return vault.id;
}

// 1. Checkout to entitlement.
const paid = await listed("bench-paid", { model: "one_time", amount_cents: 1999, currency: "usd" }, {});
const checkoutMs: number[] = [];
for (let i = 0; i < purchases; i++) {
  const buyer = await newOrg();
  const started = (await acquire(ctx, buyer, paid)) as { checkout: { checkout_url: string } };
  const t0 = performance.now();
  const answer = await fetch(started.checkout.checkout_url, {
    method: "POST",
    body: new URLSearchParams({ card: "4242424242424242" }),
    redirect: "manual",
  });
  if (answer.status !== 303) throw new Error(`checkout answered ${answer.status}`);
  for (;;) {
    const [row] = await ctx.db
      .select({ id: entitlements.id })
      .from(entitlements)
      .where(eq(entitlements.orgId, buyer.orgId));
    if (row) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  checkoutMs.push(performance.now() - t0);
}

// 2. License check overhead: two installs of the same corpus, with and without a daily limit.
const reader = await newOrg();
const plainVault = await installed(reader, await listed("bench-plain", { model: "free" }, {}));
const limitedVault = await installed(
  reader,
  await listed("bench-limited", { model: "free" }, { calls_per_day: 1_000_000 }),
);
const timed = async (vaultId: string) => {
  const t0 = performance.now();
  await searchVault(ctx, reader, vaultId, {
    query: "cranes berth tonnes",
    top_k: 10,
    filter: {},
    mode: "hybrid",
  });
  return performance.now() - t0;
};
const without: number[] = [];
const withTerms: number[] = [];
for (let i = 0; i < 20; i++) await Promise.all([timed(plainVault), timed(limitedVault)]);
for (let i = 0; i < searches; i++) {
  without.push(await timed(plainVault));
  withTerms.push(await timed(limitedVault));
}

// 3. A burst against a daily license.
const burster = await newOrg();
const burstVault = await installed(
  burster,
  await listed("bench-burst", { model: "free" }, { calls_per_day: limit }),
);
const burstMs: number[] = [];
let admitted = 0;
let refused = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < burst) {
      next++;
      const t0 = performance.now();
      try {
        await searchVault(ctx, burster, burstVault, {
          query: "cranes",
          top_k: 5,
          filter: {},
          mode: "keyword",
        });
        admitted++;
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== "license_rate") throw error;
        refused++;
      }
      burstMs.push(performance.now() - t0);
    }
  }),
);
const burstSeconds = (performance.now() - started) / 1000;
const [counted] = await queryRows<{ calls: number }>(
  ctx.db,
  sql`select calls from license_usage where org_id = ${burster.orgId}`,
);

await server.close();
await runtime.close();
await standin.close();

const results = {
  checkout_to_entitlement_ms: summarise(checkoutMs),
  search_ms_without_terms: summarise(without),
  search_ms_with_calls_per_day: summarise(withTerms),
  license_overhead_ms: {
    p50: summarise(withTerms).p50 - summarise(without).p50,
    p95: summarise(withTerms).p95 - summarise(without).p95,
  },
  burst: {
    calls: burst,
    limit,
    concurrency,
    admitted,
    refused,
    counter: counted?.calls ?? 0,
    exact: admitted === limit && (counted?.calls ?? 0) === limit,
    calls_per_s: Math.round(burst / burstSeconds),
    latency_ms: summarise(burstMs),
  },
};
const f = (n: number) => n.toFixed(2);
console.log(
  `checkout → entitlement (${purchases} purchases): p50 ${f(results.checkout_to_entitlement_ms.p50)} ms, p95 ${f(results.checkout_to_entitlement_ms.p95)} ms`,
);
console.log(
  `search without terms:        p50 ${f(results.search_ms_without_terms.p50)} ms, p95 ${f(results.search_ms_without_terms.p95)} ms`,
);
console.log(
  `search with calls_per_day:   p50 ${f(results.search_ms_with_calls_per_day.p50)} ms, p95 ${f(results.search_ms_with_calls_per_day.p95)} ms`,
);
console.log(
  `license check overhead:      p50 ${f(results.license_overhead_ms.p50)} ms, p95 ${f(results.license_overhead_ms.p95)} ms`,
);
console.log(
  `burst ${burst} calls (${concurrency} at a time) vs ${limit}/day: admitted ${admitted}, refused ${refused}, counter ${results.burst.counter} — ${results.burst.exact ? "exact" : "NOT EXACT"}; ${results.burst.calls_per_s} calls/s, p50 ${f(results.burst.latency_ms.p50)} ms, p95 ${f(results.burst.latency_ms.p95)} ms`,
);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/commerce.json", JSON.stringify(results, null, 2));
writeFileSync(
  "bench/results/commerce.svg",
  barChartSvg("Commerce: latency (ms)", "ms", [
    {
      label: "checkout→entitlement",
      bars: { p50: results.checkout_to_entitlement_ms.p50, p95: results.checkout_to_entitlement_ms.p95 },
    },
    {
      label: "search, no terms",
      bars: { p50: results.search_ms_without_terms.p50, p95: results.search_ms_without_terms.p95 },
    },
    {
      label: "search, calls_per_day",
      bars: { p50: results.search_ms_with_calls_per_day.p50, p95: results.search_ms_with_calls_per_day.p95 },
    },
    { label: "burst call", bars: { p50: results.burst.latency_ms.p50, p95: results.burst.latency_ms.p95 } },
  ]),
);
if (!results.burst.exact) process.exitCode = 1;

/**
 * bench:lifecycle — what living with memory costs, on the tests' Postgres:
 * - rollback latency for installs of 10k- and 100k-chunk versions (a pointer move: it must not grow
 *   with the version's size);
 * - as-of search against plain search over a 100k-chunk install (p50/p95 and their ratio);
 * - heat counting's cost on a plain search (the same searches with the tally on and off, interleaved);
 * - one retention sweep over a vault of 1M memories (half of them unused past the policy's days).
 * `--chunks 100000 --memories 1000000 --queries 200` are the defaults.
 */
import { writeFileSync } from "node:fs";
import { createListing, publishListing } from "@memstore/api/listings";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { applyRetention } from "@memstore/api/memories";
import { searchVault } from "@memstore/api/search";
import { createVault, installListing, rollbackInstall, upgradeInstallTo } from "@memstore/api/vaults";
import { type AppContext, HeatTally } from "@memstore/api";
import type { Subject } from "@memstore/core";
import { cubeVersions, sql } from "@memstore/db";
import { benchArgs, freshDatabase } from "./bench-db.ts";
import {
  DIM,
  insertCorpusVersion,
  loadChunks,
  openBenchRuntime,
  vectorSource,
  WORDS,
} from "./search-corpus.ts";
import { barChartSvg, summarise } from "./stats.ts";

const args = benchArgs();
const CHUNKS = Number(args.chunks ?? 100_000);
const MEMORIES = Number(args.memories ?? 1_000_000);
const QUERIES = Number(args.queries ?? 200);

const ms = (start: number) => performance.now() - start;
const round = (x: number) => Math.round(x * 100) / 100;

/** A listed cube with 1.0.0 (embedded chunks, when `vectors`) and 2.0.0 of `chunks` chunks each, installed in a new vault. */
async function installedCube(
  ctx: AppContext,
  owner: Subject,
  slug: string,
  chunks: number,
  vectors?: Float32Array[],
) {
  const cubeId = `cube_${slug}`;
  const [v1, v2] = [`ver_${slug}_1`, `ver_${slug}_2`];
  await insertCorpusVersion(ctx, { cubeId, versionId: v1, orgId: owner.orgId, slug, title: slug, chunks });
  const [first] = await ctx.db
    .select()
    .from(cubeVersions)
    .where(sql`id = ${v1}`);
  await ctx.db.insert(cubeVersions).values({ ...first!, id: v2, version: "2.0.0", createdAt: new Date() });
  if (vectors) await loadChunks(ctx, "bulk", cubeId, v1, vectors);
  else await plainChunks(ctx, cubeId, v1, chunks);
  await plainChunks(ctx, cubeId, v2, chunks);
  const listing = await createListing(ctx, owner, {
    cube_id: cubeId,
    visibility: "public",
    pricing: { model: "free" },
  });
  await publishListing(ctx, owner, listing.id);
  const vault = await createVault(ctx, owner, { name: slug });
  const install = await installListing(ctx, owner, vault.id, {
    listing_id: listing.id,
    version_policy: "1.0.0",
  });
  return { vaultId: vault.id, installId: install.id };
}

/** Chunks without embeddings, in one statement per 50k: what a pointer move must not touch. */
async function plainChunks(ctx: AppContext, cubeId: string, versionId: string, n: number) {
  for (let i = 0; i < n; i += 50_000) {
    await ctx.db.execute(sql`
      insert into chunks (id, version_id, cube_id, position, text)
      select ${versionId} || '_' || g, ${versionId}, ${cubeId}, g, 'chunk ' || g
      from generate_series(${i}::int, ${Math.min(n, i + 50_000) - 1}::int) as g`);
  }
}

async function rollbackLatency(ctx: AppContext, owner: Subject, vaultId: string, installId: string) {
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    await upgradeInstallTo(ctx, owner, vaultId, installId, { version: "2.0.0" });
    const start = performance.now();
    await rollbackInstall(ctx, owner, vaultId, installId, {});
    samples.push(ms(start));
  }
  return summarise(samples);
}

/** The same queries plain and as of an instant, interleaved so drift hits both alike. */
async function asOfAgainstPlain(
  ctx: AppContext,
  owner: Subject,
  vaultId: string,
  queries: string[],
  asOf: string,
) {
  const plain: number[] = [];
  const past: number[] = [];
  for (const query of queries) {
    let start = performance.now();
    await searchVault(ctx, owner, vaultId, { query, top_k: 10, filter: {}, mode: "hybrid" });
    plain.push(ms(start));
    start = performance.now();
    await searchVault(ctx, owner, vaultId, { query, top_k: 10, filter: {}, mode: "hybrid", as_of: asOf });
    past.push(ms(start));
  }
  return { plain: summarise(plain), asOf: summarise(past) };
}

async function heatCost(ctx: AppContext, owner: Subject, vaultId: string, queries: string[]) {
  const off: AppContext = { ...ctx, heat: new HeatTally(ctx.db, ctx.log, { enabled: false }) };
  const on: number[] = [];
  const without: number[] = [];
  for (const query of queries) {
    let start = performance.now();
    await searchVault(off, owner, vaultId, { query, top_k: 10, filter: {}, mode: "hybrid" });
    without.push(ms(start));
    start = performance.now();
    await searchVault(ctx, owner, vaultId, { query, top_k: 10, filter: {}, mode: "hybrid" });
    on.push(ms(start));
  }
  await ctx.heat.flush();
  return { on: summarise(on), off: summarise(without) };
}

/** A vault of `n` memories, half written 60 days ago and never used; one sweep with a 30-day policy. */
async function retentionSweep(ctx: AppContext, owner: Subject, n: number) {
  const vault = await createVault(ctx, owner, { name: "retention-1m" });
  process.stderr.write(`  writing ${n} memories…\n`);
  for (let i = 0; i < n; i += 100_000) {
    await ctx.db.execute(sql`
      insert into memories (id, memory_id, org_id, vault_id, version, text, created_at)
      select 'mb_' || g, 'mb_' || g, ${owner.orgId}, ${vault.id}, 1, 'memory ' || g,
             now() - case when g % 2 = 0 then interval '60 days' else interval '1 day' end
      from generate_series(${i}::int, ${Math.min(n, i + 100_000) - 1}::int) as g`);
  }
  await ctx.db.execute(sql`analyze memories`);
  await ctx.db.execute(
    sql`update vaults set retention = '{"archive_unused_after_days": 30}' where id = ${vault.id}`,
  );
  const start = performance.now();
  const report = await applyRetention(ctx);
  return { seconds: ms(start) / 1000, ...report };
}

async function main() {
  const url = await freshDatabase("memstore_bench_lifecycle");
  const vectors = vectorSource("latent")(CHUNKS, 7);
  const queries = Array.from(
    { length: QUERIES },
    (_, i) => `${WORDS[i % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]} ${i}`,
  );
  const queryVectors = vectorSource("latent")(QUERIES, 11);
  const { ctx, runtime } = await openBenchRuntime(url, queries, queryVectors);
  try {
    const made = await createOrganization(ctx, { name: "Bench", ownerEmail: "bench@bench.example.com" });
    const owner = await authenticateApiKey(ctx, made.api_key);
    process.stderr.write("rollback: a 10k-chunk install\n");
    const small = await installedCube(ctx, owner, "small", 10_000);
    const rollbackSmall = await rollbackLatency(ctx, owner, small.vaultId, small.installId);
    process.stderr.write(`rollback and search: a ${CHUNKS}-chunk install (embedded, HNSW)\n`);
    const big = await installedCube(ctx, owner, "big", CHUNKS, vectors);
    const rollbackBig = await rollbackLatency(ctx, owner, big.vaultId, big.installId);
    const asOf = new Date().toISOString();
    await upgradeInstallTo(ctx, owner, big.vaultId, big.installId, { version: "2.0.0" });
    await rollbackInstall(ctx, owner, big.vaultId, big.installId, {});
    const search = await asOfAgainstPlain(ctx, owner, big.vaultId, queries, asOf);
    const heat = await heatCost(ctx, owner, big.vaultId, queries);
    const retention = await retentionSweep(ctx, owner, MEMORIES);

    const figures = {
      rollback_ms: { "10k chunks": rollbackSmall, [`${CHUNKS / 1000}k chunks`]: rollbackBig },
      search_ms: search,
      as_of_p95_ratio: round(search.asOf.p95 / search.plain.p95),
      heat_ms: heat,
      heat_p50_cost_ms: round(heat.on.p50 - heat.off.p50),
      retention,
      dimension: DIM,
    };
    console.log(JSON.stringify(figures, null, 2));
    writeFileSync(
      "docs/images/bench/lifecycle.svg",
      barChartSvg("Living with memory: latency (ms)", "ms", [
        { label: "rollback 10k", bars: { p50: rollbackSmall.p50, p95: rollbackSmall.p95 } },
        { label: `rollback ${CHUNKS / 1000}k`, bars: { p50: rollbackBig.p50, p95: rollbackBig.p95 } },
        { label: "search", bars: { p50: search.plain.p50, p95: search.plain.p95 } },
        { label: "search as_of", bars: { p50: search.asOf.p50, p95: search.asOf.p95 } },
        { label: "search, heat off", bars: { p50: heat.off.p50, p95: heat.off.p95 } },
        { label: "search, heat on", bars: { p50: heat.on.p50, p95: heat.on.p95 } },
      ]),
    );
  } finally {
    await runtime.close();
  }
}

await main();

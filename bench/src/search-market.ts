/**
 * bench/search's marketplace shape (`npm run bench:search -- --shape market [--cubes 1000]
 * [--per-cube 1000] [--queries 200] [--reuse]`): a store of many cubes, each on two topics of its
 * own, and a subscriber's vault that installs five of them; queries are about topics the vault does
 * not hold, so the nearest chunks in the whole index are all someone else's. Measured server-side
 * through the real service (vector and hybrid), with recall@10 against an exact scan of the vault's
 * own chunks; the baseline in the same run is the statement the service ran before (the planner's
 * plan). Then the plan sweep behind EXACT_SCAN_MAX_CHUNKS: the chunk statement of each plan, forced,
 * for vaults of 1 to 50 cubes — where the exact scan stops being the faster one.
 */
import { performance } from "node:perf_hooks";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/listings";
import { acquireListing } from "@memstore/api/store";
import { chunkVectorStatement, scopeFilters, type VisibleVersion } from "@memstore/api/internal";
import { createVault, installListing } from "@memstore/api/vaults";
import { searchVault } from "@memstore/api/search";
import { newId, type Subject } from "@memstore/core";
import { queryRows, setLocal, sql, toVectorLiteral } from "@memstore/db";
import { mkdirSync, writeFileSync } from "node:fs";
import { DIM, insertCorpusVersion, openBenchRuntime, plannersChoice, vectorSource } from "./search-corpus.ts";
import { benchDatabase } from "./bench-db.ts";
import { barChartSvg, summarise } from "./stats.ts";

const INSTALLED = 5;

type MarketOptions = { adminUrl: string; cubes: number; perCube: number; queries: number; reuse: boolean };
type BenchRuntime = Awaited<ReturnType<typeof openBenchRuntime>>;

export async function runMarket(options: MarketOptions) {
  const { cubes: cubeCount, perCube } = options;
  const name = `memstore_bench_market_${cubeCount}x${perCube}`;
  const { url, load } = await benchDatabase(options.adminUrl, name, options.reuse);
  const workload = marketWorkload(options);
  const { ctx, runner, runtime } = await openBenchRuntime(url, workload.texts, workload.queries);
  const run = newId("run").slice(-8).toLowerCase();
  const pub = await createOrganization(ctx, {
    name: `Market ${run}`,
    ownerEmail: `pub-${run}@bench.example.com`,
  });
  const sub = await createOrganization(ctx, {
    name: `Buyer ${run}`,
    ownerEmail: `sub-${run}@bench.example.com`,
  });
  const publisher = await authenticateApiKey(ctx, pub.api_key);
  const subscriber = await authenticateApiKey(ctx, sub.api_key);
  if (load) await loadMarket(ctx, pub.org_id, options, workload.chunksOf);
  else await reuseMarket(ctx, pub.org_id, perCube);
  const vault = await createVault(ctx, subscriber, { name: "market" });
  for (let c = 0; c < INSTALLED; c++) {
    const listing = await createListing(ctx, publisher, {
      cube_id: `cube_m${c}`,
      visibility: "public",
      pricing: { model: "free" },
    });
    await publishListing(ctx, publisher, listing.id);
    await acquireListing(ctx, subscriber, listing.id);
    await installListing(ctx, subscriber, vault.id, { listing_id: listing.id, version_policy: "latest" });
  }
  await runner.idle();
  const measured = await measureSearches(ctx, subscriber, vault.id, workload);
  const sweep = await planSweep(ctx, vault.id, cubeCount, perCube, workload.queries);
  await runtime.close();
  return { shape: `${cubeCount} cubes × ${perCube} chunks, vault of ${INSTALLED}`, ...measured, sweep };
}

/** The corpus and the questions: cube c on topics 2c and 2c+1; queries on topics of cubes the vault lacks. */
function marketWorkload(options: MarketOptions) {
  const source = vectorSource("latent");
  const topicsOf = (c: number) => [(2 * c) % 2000, (2 * c + 1) % 2000];
  const chunksOf = (c: number) => source(options.perCube, 100 + c, topicsOf(c));
  const queries = Array.from({ length: options.queries }, (_, i) => {
    const c = INSTALLED + ((i * 37) % (options.cubes - INSTALLED));
    return source(1, 10_000 + i, topicsOf(c))[0]!;
  });
  // Words no chunk holds (chunk texts are "cube N chunk M"), so hybrid's keyword side adds nothing
  // and its recall is the vector side's through the fusion.
  const texts = queries.map(
    (_, i) =>
      `market question ${[...i.toString(26)].map((d) => String.fromCharCode(97 + parseInt(d, 26))).join("")}`,
  );
  return { chunksOf, queries, texts };
}

/** Every cube's chunks written without the HNSW index, which is then built once. */
async function loadMarket(
  ctx: BenchRuntime["ctx"],
  orgId: string,
  options: MarketOptions,
  chunksOf: (c: number) => Float32Array[],
) {
  const { cubes: cubeCount, perCube } = options;
  const [hnsw] = await queryRows<{ indexdef: string }>(
    ctx.db,
    sql`select indexdef from pg_indexes where indexname = 'chunks_embedding_384_hnsw'`,
  );
  await ctx.db.execute(sql`drop index chunks_embedding_384_hnsw`);
  const t0 = performance.now();
  for (let c = 0; c < cubeCount; c++) {
    const cubeId = `cube_m${c}`;
    const versionId = `ver_m${c}`;
    await insertCorpusVersion(ctx, {
      cubeId,
      versionId,
      orgId,
      slug: `market-${c}`,
      title: `Cube ${c}`,
      chunks: perCube,
    });
    const vs = chunksOf(c);
    for (let i = 0; i < perCube; i += 500) {
      const slice = vs.slice(i, i + 500);
      await ctx.db.execute(sql`
        insert into chunks (id, version_id, cube_id, position, text, embedding, embedding_dim)
        select 'm' || ${c} || '_' || position, ${versionId}, ${cubeId}, position, 'cube ' || ${c} || ' chunk ' || position, embedding::vector, ${DIM}
        from unnest(${sql.param(slice.map((_, j) => i + j))}::int[], ${sql.param(slice.map((v) => toVectorLiteral(v)))}::text[])
          as t(position, embedding)`);
    }
    if (c % 50 === 0) process.stderr.write(`\r  cubes ${c}/${cubeCount}`);
  }
  process.stderr.write(
    `\n  loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s; building the HNSW index…\n`,
  );
  const b0 = performance.now();
  await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`set local maintenance_work_mem = '4GB'`);
    await tx.execute(sql`set local max_parallel_maintenance_workers = 2`);
    await tx.execute(sql.raw(hnsw!.indexdef));
  });
  process.stderr.write(`  index built in ${((performance.now() - b0) / 1000).toFixed(0)} s\n`);
  await ctx.db.execute(sql`vacuum analyze chunks`);
}

/** A kept corpus given to this run's publisher, its earlier listings, entitlements and installs gone. */
async function reuseMarket(ctx: BenchRuntime["ctx"], orgId: string, perCube: number) {
  await ctx.db.execute(sql`update cubes set org_id = ${orgId} where id like 'cube_m%'`);
  await ctx.db.execute(
    sql`update cube_versions set org_id = ${orgId}, chunk_count = ${perCube} where id like 'ver_m%'`,
  );
  await ctx.db.execute(sql`delete from installs where cube_id like 'cube_m%'`);
  await ctx.db.execute(
    sql`delete from entitlements where listing_id in (select id from listings where cube_id like 'cube_m%')`,
  );
  await ctx.db.execute(sql`delete from listings where cube_id like 'cube_m%'`);
}

/** The service's vector and hybrid search and the planner's own plan, timed, with recall@10 against an exact scan. */
async function measureSearches(
  ctx: BenchRuntime["ctx"],
  subscriber: Subject,
  vaultId: string,
  workload: ReturnType<typeof marketWorkload>,
) {
  const { queries, texts, chunksOf } = workload;
  const own = Array.from({ length: INSTALLED }, (_, c) =>
    chunksOf(c).map((v, i) => ({ id: `m${c}_${i}`, v })),
  ).flat();
  const exact = queries.map(
    (q) =>
      new Set(
        own
          .map((o) => ({ id: o.id, dot: o.v.reduce((s, x, d) => s + x * q[d]!, 0) }))
          .sort((a, b) => b.dot - a.dot)
          .slice(0, 10)
          .map((o) => o.id),
      ),
  );
  const recall = (hits: string[][]) =>
    hits.reduce((s, h, i) => s + h.filter((id) => exact[i]!.has(id)).length / 10, 0) / hits.length;
  const timedRun = async (f: (i: number) => Promise<string[]>) => {
    const ms: number[] = [];
    const hits: string[][] = [];
    for (let i = 0; i < queries.length; i++) {
      const t0 = performance.now();
      hits.push(await f(i));
      ms.push(performance.now() - t0);
    }
    return { ms: summarise(ms.slice(10)), recall: recall(hits) };
  };
  const service = (mode: "vector" | "hybrid") =>
    timedRun(async (i) =>
      (
        await searchVault(ctx, subscriber, vaultId, { query: texts[i]!, top_k: 10, filter: {}, mode })
      ).results.map((r) => r.id),
    );
  const vector = await service("vector");
  const hybrid = await service("hybrid");
  const before = await timedRun(async (i) =>
    (await plannersChoice(ctx, vaultId, queries[i]!, 10)).map((r) => r.id),
  );
  return { vector, hybrid, before };
}

/** Each plan's chunk statement, forced, over vaults of more and more cubes: p50 per plan and size. */
async function planSweep(
  ctx: BenchRuntime["ctx"],
  vaultId: string,
  cubeCount: number,
  perCube: number,
  queries: Float32Array[],
) {
  const sweep = [];
  for (const n of [1, 2, 5, 10, 20, 50].filter((n) => n <= cubeCount)) {
    const visible: VisibleVersion[] = Array.from({ length: n }, (_, c) => ({
      version_id: `ver_m${c}`,
      install_id: "",
      cube_id: `cube_m${c}`,
      cube_slug: "",
      version: "1.0.0",
      publisher: "",
      canaries: false,
      marks: "off",
      chunks: perCube,
      listing_id: "",
      share_cap: null,
    }));
    const row: Record<string, number> = { chunks: n * perCube };
    for (const plan of ["exact", "index"] as const) {
      const scope = { ...scopeFilters(vaultId, visible, {}, true), plan };
      const ms: number[] = [];
      for (const q of queries.slice(0, 60)) {
        const statement = chunkVectorStatement(scope, DIM, q, 10);
        const t0 = performance.now();
        await ctx.db.transaction(async (tx) => {
          if (statement.settings) await tx.execute(setLocal(statement.settings));
          await queryRows(tx, statement.query);
        });
        ms.push(performance.now() - t0);
      }
      row[`${plan}_p50_ms`] = summarise(ms.slice(10)).p50;
    }
    sweep.push(row);
  }
  return sweep;
}

/** `--shape market`: runs the shape, prints the figures and writes bench/results/search-market.*. */
export async function marketMain(
  args: Record<string, string>,
  ADMIN_URL: string,
  queryCount: number,
  reuse: boolean,
) {
  const r = await runMarket({
    adminUrl: ADMIN_URL,
    cubes: Number(args.cubes ?? 1000),
    perCube: Number(args["per-cube"] ?? 1000),
    queries: queryCount,
    reuse,
  });
  const row = (name: string, x: { ms: ReturnType<typeof summarise>; recall: number }) =>
    console.log(
      `  ${name.padEnd(28)} p50 ${x.ms.p50.toFixed(2)}  p95 ${x.ms.p95.toFixed(2)}  p99 ${x.ms.p99.toFixed(2)} ms  recall@10 ${x.recall.toFixed(3)}`,
    );
  console.log(`\nmarketplace: ${r.shape}; queries about topics the vault does not hold`);
  row("vector (service)", r.vector);
  row("hybrid (service)", r.hybrid);
  row("before: the planner's plan", r.before);
  console.log("\nplan sweep, chunk statement p50 ms (EXACT_SCAN_MAX_CHUNKS sits where exact stops winning)");
  for (const s of r.sweep)
    console.log(
      `  ${String(s.chunks).padStart(7)} chunks  exact ${s.exact_p50_ms!.toFixed(2).padStart(7)}  index ${s.index_p50_ms!.toFixed(2).padStart(7)}`,
    );
  const outDir = new URL("../results/", import.meta.url);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    new URL("search-market.json", outDir),
    JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2),
  );
  writeFileSync(
    new URL("search-market.svg", outDir),
    barChartSvg("Marketplace vault search (ms), and the plan sweep", "ms", [
      { label: "vector", bars: { p50: r.vector.ms.p50, p95: r.vector.ms.p95 } },
      { label: "hybrid", bars: { p50: r.hybrid.ms.p50, p95: r.hybrid.ms.p95 } },
      { label: "before", bars: { p50: r.before.ms.p50, p95: r.before.ms.p95 } },
      ...r.sweep.map((s) => ({
        label: `${s.chunks! / 1000}k`,
        bars: { exact: s.exact_p50_ms!, index: s.index_p50_ms! },
      })),
    ]),
  );
}

/**
 * bench/search: hybrid and vector search latency over N synthetic 384-dimensional chunks on
 * Postgres + pgvector, recall@10 of the HNSW path against an exact scan, and ingest throughput.
 *
 *   npm run bench:search -- --sizes 100000,1000000 --queries 200
 *        [--load incremental|bulk] [--data latent|isotropic] [--reuse] [--ef 40,100,200,400]
 *
 * Latency is measured server-side through the real service (searchVault), with the query
 * embedding excluded: queries are precomputed vectors. Then an ef_search sweep runs the bare HNSW
 * query at several ef_search values, giving the recall/latency trade-off the service's setting
 * sits on. Figures print as tables and are written to bench/results/search.{json,svg} and
 * search-ef.svg.
 *
 * Data (--data):
 * - latent (default): 2,000 topics in a 48-dimensional latent space, mapped into 384 dimensions by
 *   a fixed random projection, plus a little isotropic noise. Sentence embeddings behave like this:
 *   384 coordinates, far fewer degrees of freedom.
 * - isotropic: 2,000 centroids plus full-rank gaussian noise in all 384 dimensions. Neighbours
 *   inside a cluster are then nearly equidistant, the worst case for any graph index; kept as a
 *   stress test.
 *
 * --reuse keeps a database loaded by an earlier run with the same size and data (the load and the
 * index build of 1M chunks take tens of minutes); a fresh subscriber, vault and install are made.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/listings";
import { acquireListing } from "@memstore/api/store";
import { cosineDistance } from "@memstore/api/internal";
import { createVault, installListing } from "@memstore/api/vaults";
import { searchVault } from "@memstore/api/search";
import { newId, type Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import {
  DIM,
  exactTop10,
  loadChunks,
  plannersChoice,
  insertCorpusVersion,
  openBenchRuntime,
  vectorSource,
  WORDS,
} from "./search-corpus.ts";
import { reportSearch } from "./search-report.ts";
import { benchDatabase } from "./bench-db.ts";
import { summarise } from "./stats.ts";

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const sizes = (args.sizes ?? "100000").split(",").map(Number);
const queryCount = Number(args.queries ?? 200);
const dataKind = (args.data ?? "latent") as "latent" | "isotropic";
const reuse = process.argv.includes("--reuse");
const efValues = (args.ef ?? "40,100,200,400").split(",").map(Number);
/**
 * incremental: rows go into the indexed table, as the embed stage writes them (HNSW and GIN
 * maintained per insert). bulk: the HNSW index is dropped, rows are loaded, and the index is built
 * once afterwards — how a large corpus is first loaded; the index build time is reported apart.
 * Default: incremental up to 100k chunks, bulk above.
 */
const loadMode = (n: number) =>
  (args.load as "incremental" | "bulk" | undefined) ?? (n > 100_000 ? "bulk" : "incremental");

type BenchRuntime = Awaited<ReturnType<typeof openBenchRuntime>>;

async function runSize(n: number) {
  const name = `memstore_bench_${dataKind}_${n}`;
  const { url, load } = await benchDatabase(ADMIN_URL, name, reuse);
  const generate = vectorSource(dataKind);
  const queries = generate(queryCount + 20, 3);
  const queryTexts = queries.map((_, i) => `benchmark query ${i} ${WORDS[i % WORDS.length]}`);
  const { ctx, runner, runtime } = await openBenchRuntime(url, queryTexts, queries);
  const run = newId("run").slice(-8).toLowerCase();
  const pub = await createOrganization(ctx, {
    name: `Bench Publisher ${run}`,
    ownerEmail: `pub-${run}@bench.example.com`,
  });
  const sub = await createOrganization(ctx, {
    name: `Bench Subscriber ${run}`,
    ownerEmail: `sub-${run}@bench.example.com`,
  });
  const publisher = await authenticateApiKey(ctx, pub.api_key);
  const subscriber = await authenticateApiKey(ctx, sub.api_key);
  const mode = loadMode(n);
  const corpus = load
    ? await loadCorpus(ctx, pub.org_id, n, mode, generate)
    : await reuseCorpus(ctx, pub.org_id, n, name);
  const listing = await createListing(ctx, publisher, {
    cube_id: corpus.cubeId,
    visibility: "public",
    pricing: { model: "free" },
    terms: {},
  });
  await publishListing(ctx, publisher, listing.id);
  await acquireListing(ctx, subscriber, listing.id);
  const vault = await createVault(ctx, subscriber, { name: "bench" });
  await installListing(ctx, subscriber, vault.id, { listing_id: listing.id, version_policy: "latest" });
  await runner.idle();
  const cache = await prewarm(ctx);
  const vector = await measureService(ctx, subscriber, vault.id, queryTexts, "vector");
  const hybrid = await measureService(ctx, subscriber, vault.id, queryTexts, "hybrid");
  // The baseline, in the same run: the chunk side as the service wrote it before, one statement
  // joining the vault's installs to the chunks and leaving the plan to the planner's estimates.
  const planner = await timed(queries.slice(20), (q) => plannersChoice(ctx, vault.id, q, 10));
  const exact = (() => {
    const vectors = generate(n, 2);
    // Made only now, like the corpus: a million id strings in the heap during the timed searches
    // put major GCs in their tail.
    const ids = Array.from({ length: n }, (_, i) => `chk_${i}`);
    return queries.slice(20).map((q) => exactTop10(vectors, q, ids));
  })();
  const recallOf = (hits: string[][]) =>
    hits.reduce((sum, h, q) => sum + h.filter((id) => exact[q]!.has(id)).length / 10, 0) / hits.length;
  const sweep = await efSweep(ctx, queries, recallOf);
  await runtime.close();
  return {
    chunks: n,
    data: dataKind,
    load: load ? mode : "reused",
    ingest_rows_per_s: corpus.ingestSeconds === null ? null : Math.round(n / corpus.ingestSeconds),
    index_build_s: corpus.indexBuildSeconds,
    shared_buffers: cache.sharedBuffers,
    huge_pages: cache.hugePages,
    vector_ms: vector.latency,
    planners_choice_ms: planner.latency,
    planners_choice_recall_at_10: recallOf(planner.hits),
    hybrid_ms: hybrid.latency,
    recall_at_10: recallOf(vector.hits),
    ef_sweep: sweep,
  };
}

/**
 * The corpus written as one version of a new cube. Its vectors are held only while loading them
 * (and later while computing the exact answers): a million of them in this process's heap made
 * its major GCs the service path's p95.
 */
async function loadCorpus(
  ctx: BenchRuntime["ctx"],
  orgId: string,
  n: number,
  mode: "incremental" | "bulk",
  generate: ReturnType<typeof vectorSource>,
) {
  const cubeId = newId("cube");
  const versionId = newId("ver");
  await insertCorpusVersion(ctx, {
    cubeId,
    versionId,
    orgId,
    slug: "bench",
    title: "Bench corpus",
    chunks: n,
  });
  const loaded = await loadChunks(ctx, mode, cubeId, versionId, generate(n, 2));
  return { cubeId, ...loaded };
}

/** The corpus kept from an earlier run, handed to this run's publisher, its earlier listing gone. */
async function reuseCorpus(ctx: BenchRuntime["ctx"], orgId: string, n: number, name: string) {
  console.error(`  reusing ${name}`);
  const [cube] = await queryRows<{ id: string }>(ctx.db, sql`select id from cubes where slug = 'bench'`);
  const cubeId = cube!.id;
  await ctx.db.execute(sql`update cubes set org_id = ${orgId} where id = ${cubeId}`);
  await ctx.db.execute(
    sql`update cube_versions set org_id = ${orgId}, chunk_count = ${n} where cube_id = ${cubeId}`,
  );
  // The previous run's listing goes, with what hangs off it (installs, entitlements).
  await ctx.db.execute(sql`delete from installs where cube_id = ${cubeId}`);
  await ctx.db.execute(
    sql`delete from entitlements where listing_id in (select id from listings where cube_id = ${cubeId})`,
  );
  await ctx.db.execute(sql`delete from listings where cube_id = ${cubeId}`);
  return { cubeId, ingestSeconds: null, indexBuildSeconds: null };
}

/**
 * What autovacuum does after a load (statistics, the GIN pending list merged), and the chunks and
 * their HNSW index loaded into the buffer cache as a server that has answered for a while holds
 * them (the 20 warm-up queries touch a sliver of a large graph).
 */
async function prewarm(ctx: BenchRuntime["ctx"]) {
  await ctx.db.execute(sql`vacuum analyze chunks`);
  const [cache] = await queryRows<{ shared_buffers: string; data: string }>(
    ctx.db,
    sql`select current_setting('shared_buffers') as shared_buffers,
          pg_size_pretty(pg_relation_size('chunks') + pg_relation_size('chunks_embedding_384_hnsw')) as data`,
  );
  await ctx.db.execute(sql`create extension if not exists pg_prewarm`);
  await ctx.db.execute(sql`select pg_prewarm('chunks_embedding_384_hnsw'), pg_prewarm('chunks')`);
  // Without huge pages each new connection maps shared memory 4 kB at a time as it first touches it
  // (at 1M chunks, about 10 ms more per search on a fresh connection); the OS's reservation shows it.
  const hugePages = /HugePages_Total:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? "?";
  console.error(
    `  shared_buffers ${cache!.shared_buffers}, huge pages reserved by the OS: ${hugePages}; chunks and HNSW index ${cache!.data}, prewarmed`,
  );
  return { sharedBuffers: cache!.shared_buffers, hugePages: Number(hugePages) || 0 };
}

/** The service's search over the queries (the first 20 warm up): latency and the ids found. */
async function measureService(
  ctx: BenchRuntime["ctx"],
  subscriber: Subject,
  vaultId: string,
  queryTexts: string[],
  mode: "vector" | "hybrid",
) {
  const latencies: number[] = [];
  const hits: string[][] = [];
  for (const [i, text] of queryTexts.entries()) {
    const t0 = performance.now();
    const { results } = await searchVault(ctx, subscriber, vaultId, {
      query: text,
      top_k: 10,
      filter: {},
      mode,
    });
    const ms = performance.now() - t0;
    if (i >= 20) {
      latencies.push(ms);
      hits.push(results.map((r) => r.id));
    }
  }
  return { latency: summarise(latencies), hits };
}

/** ef_search sweep: the bare HNSW query (no joins, no fusion) at each ef_search value. */
async function efSweep(
  ctx: BenchRuntime["ctx"],
  queries: Float32Array[],
  recallOf: (hits: string[][]) => number,
) {
  const sweep = [];
  for (const ef of efValues) {
    const latencies: number[] = [];
    const hits: string[][] = [];
    for (const [i, q] of queries.entries()) {
      const t0 = performance.now();
      const rows = await ctx.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local hnsw.ef_search = ${Math.trunc(ef)}`));
        return queryRows<{ id: string }>(
          tx,
          sql`select id from chunks where embedding_dim = ${DIM}
              order by ${cosineDistance("embedding", DIM, q)} limit 10`,
        );
      });
      if (i >= 20) {
        latencies.push(performance.now() - t0);
        hits.push(rows.map((r) => r.id));
      }
    }
    sweep.push({ ef_search: ef, ms: summarise(latencies), recall_at_10: recallOf(hits) });
  }
  return sweep;
}

/** Latency and ids of a query function over the queries. */
async function timed(qs: Float32Array[], run: (q: Float32Array) => Promise<Array<{ id: string }>>) {
  const latencies: number[] = [];
  const hits: string[][] = [];
  for (const q of qs) {
    const t0 = performance.now();
    const rows = await run(q);
    latencies.push(performance.now() - t0);
    hits.push(rows.map((r) => r.id));
  }
  return { latency: summarise(latencies), hits };
}

if (args.shape === "market") {
  const { marketMain } = await import("./search-market.ts");
  await marketMain(args, ADMIN_URL, queryCount, reuse);
  process.exit(0);
}

const results = [];
for (const n of sizes) {
  console.error(`bench/search: ${n} chunks (${dataKind} data)`);
  results.push(await runSize(n));
}
reportSearch(results);

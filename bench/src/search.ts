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
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type AppContext, loadConfig, openRuntime } from "@memstore/api";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/publishing";
import { acquireListing } from "@memstore/api/store";
import { cosineDistance, createVault, installListing, searchVault } from "@memstore/api/vaults";
import { manifestDraftSchema, newId } from "@memstore/core";
import { cubeVersions, cubes, queryRows, sql } from "@memstore/db";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import pg from "pg";
import { DIM, exactTop10, loadChunks, PrecomputedEmbedder, vectorSource, WORDS } from "./search-corpus.ts";
import { barChartSvg, summarise } from "./stats.ts";

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

async function runSize(n: number) {
  const name = `memstore_bench_${dataKind}_${n}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const exists = (await admin.query("select 1 from pg_database where datname = $1", [name])).rowCount === 1;
  const load = !(reuse && exists);
  if (load) {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  }
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  const generate = vectorSource(dataKind);
  const vectors = generate(n, 2);
  const queries = generate(queryCount + 20, 3);
  const queryTexts = queries.map((_, i) => `benchmark query ${i} ${WORDS[i % WORDS.length]}`);
  const ids = vectors.map((_, i) => `chk_${i}`);

  const config = loadConfig({
    DATABASE_URL: url.toString(),
    MEMSTORE_DATA_DIR: mkdtempSync(join(tmpdir(), "memstore-bench-")),
  });
  const runner = new InProcessRunner();
  const runtime = await openRuntime(config, runner, { migrate: true, log: () => {} });
  const ctx: AppContext = {
    ...runtime,
    embedder: new PrecomputedEmbedder(new Map(queryTexts.map((t, i) => [t, queries[i]!]))),
  };
  // Publishing and installing emit events; the real processors fan them out.
  runner.register(createProcessors(ctx));

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
  let cubeId: string;
  let ingestSeconds: number | null = null;
  let indexBuildSeconds: number | null = null;
  if (load) {
    cubeId = newId("cube");
    const versionId = newId("ver");
    await ctx.db
      .insert(cubes)
      .values({ id: cubeId, orgId: pub.org_id, slug: "bench", type: "plaintext", title: "Bench corpus" });
    await ctx.db.insert(cubeVersions).values({
      id: versionId,
      cubeId,
      orgId: pub.org_id,
      version: "1.0.0",
      status: "ready",
      manifest: {
        schema: "memcube/1",
        publisher: "bench",
        cube: "bench",
        version: "1.0.0",
        parent: null,
        type: "plaintext",
        title: "Bench corpus",
        description: "",
        tags: [],
        created: new Date().toISOString(),
        ...manifestDraftSchema.parse({}),
        payload: null,
      },
      embeddingModel: ctx.embedder.model,
      embeddingDim: DIM,
      chunkCount: n,
      readyAt: new Date(),
    });
    ({ ingestSeconds, indexBuildSeconds } = await loadChunks(ctx, mode, cubeId, versionId, vectors));
  } else {
    console.error(`  reusing ${name}`);
    const [cube] = await queryRows<{ id: string; org_id: string }>(
      ctx.db,
      sql`select id, org_id from cubes where slug = 'bench'`,
    );
    cubeId = cube!.id;
    // The corpus belongs to the first run's publisher: hand it to this run's, who lists it.
    await ctx.db.execute(sql`update cubes set org_id = ${pub.org_id} where id = ${cubeId}`);
    await ctx.db.execute(
      sql`update cube_versions set org_id = ${pub.org_id}, chunk_count = ${n} where cube_id = ${cubeId}`,
    );
    // The previous run's listing goes, with what hangs off it (installs, entitlements).
    await ctx.db.execute(sql`delete from installs where cube_id = ${cubeId}`);
    await ctx.db.execute(
      sql`delete from entitlements where listing_id in (select id from listings where cube_id = ${cubeId})`,
    );
    await ctx.db.execute(sql`delete from listings where cube_id = ${cubeId}`);
  }

  const listing = await createListing(ctx, publisher, {
    cube_id: cubeId,
    visibility: "public",
    pricing: { model: "free" },
    terms: {},
  });
  await publishListing(ctx, publisher, listing.id);
  await acquireListing(ctx, subscriber, listing.id);
  const vault = await createVault(ctx, subscriber, { name: "bench" });
  await installListing(ctx, subscriber, vault.id, { listing_id: listing.id, version_policy: "latest" });
  await runner.idle();
  // What autovacuum does after a load: statistics, and the GIN pending list merged (the product's
  // embed stage merges it itself; this corpus is inserted directly).
  await ctx.db.execute(sql`vacuum analyze chunks`);

  const measure = async (mode: "vector" | "hybrid") => {
    const latencies: number[] = [];
    const hits: string[][] = [];
    for (const [i, text] of queryTexts.entries()) {
      const t0 = performance.now();
      const { results } = await searchVault(ctx, subscriber, vault.id, {
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
  };
  const vector = await measure("vector");
  const hybrid = await measure("hybrid");
  // The baseline, in the same run: the chunk side as the service wrote it before, one statement
  // joining the vault's installs to the chunks and leaving the plan to the planner's estimates.
  const planner = await timed(queries.slice(20), (q) => plannersChoice(ctx, vault.id, q, 10));

  const exact = queries.slice(20).map((q) => exactTop10(vectors, q, ids));
  const recallOf = (hits: string[][]) =>
    hits.reduce((sum, h, q) => sum + h.filter((id) => exact[q]!.has(id)).length / 10, 0) / hits.length;

  // ef_search sweep: the bare HNSW query (no joins, no fusion) at each ef_search value.
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
  await runtime.close();
  return {
    chunks: n,
    data: dataKind,
    load: load ? mode : "reused",
    ingest_rows_per_s: ingestSeconds === null ? null : Math.round(n / ingestSeconds),
    index_build_s: indexBuildSeconds,
    vector_ms: vector.latency,
    planners_choice_ms: planner.latency,
    planners_choice_recall_at_10: recallOf(planner.hits),
    hybrid_ms: hybrid.latency,
    recall_at_10: recallOf(vector.hits),
    ef_sweep: sweep,
  };
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

/** The vector search's chunk side before issue 20: installs joined to chunks, the plan the planner's. */
export function plannersChoice(ctx: AppContext, vaultId: string, q: Float32Array, k: number) {
  const distance = cosineDistance("ch.embedding", DIM, q);
  return queryRows<{ id: string }>(
    ctx.db,
    sql`select ch.id from installs i join cube_versions v on v.id = i.version_id
        join chunks ch on ch.version_id = i.version_id join cubes c on c.id = ch.cube_id
        join listings l on l.id = i.listing_id
        where i.vault_id = ${vaultId} and i.uninstalled_at is null and i.state = 'activated'
          and ch.embedding_dim = ${DIM}
        order by ${distance} limit ${k}`,
  );
}

if (args.shape === "market") {
  const { runMarket } = await import("./search-market.ts");
  const r = await runMarket({
    adminUrl: ADMIN_URL,
    cubes: Number(args.cubes ?? 1000),
    perCube: Number(args["per-cube"] ?? 1000),
    queries: queryCount,
    reuse,
    plannersChoice,
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
  process.exit(0);
}

const results = [];
for (const n of sizes) {
  console.error(`bench/search: ${n} chunks (${dataKind} data)`);
  results.push(await runSize(n));
}
const fmt = (x: number) => x.toFixed(2);
console.log(
  "\nchunks     data       load         ingest/s  index build s  vector p50/p95/p99 ms     hybrid p50/p95/p99 ms     recall@10  | before: planner's plan p50/p95 ms, recall@10",
);
for (const r of results) {
  console.log(
    `${String(r.chunks).padEnd(10)} ${r.data.padEnd(10)} ${r.load.padEnd(12)} ${String(r.ingest_rows_per_s ?? "-").padEnd(9)} ${(r.index_build_s?.toFixed(1) ?? "-").padEnd(14)} ${[r.vector_ms.p50, r.vector_ms.p95, r.vector_ms.p99].map(fmt).join(" / ").padEnd(25)} ${[r.hybrid_ms.p50, r.hybrid_ms.p95, r.hybrid_ms.p99].map(fmt).join(" / ").padEnd(25)} ${r.recall_at_10.toFixed(3)}      | ${fmt(r.planners_choice_ms.p50)} / ${fmt(r.planners_choice_ms.p95)}, ${r.planners_choice_recall_at_10.toFixed(3)}`,
  );
}
console.log("\nbare HNSW query, ef_search sweep\nchunks     ef_search  p50 ms   p95 ms   p99 ms   recall@10");
for (const r of results) {
  for (const e of r.ef_sweep) {
    console.log(
      `${String(r.chunks).padEnd(10)} ${String(e.ef_search).padEnd(10)} ${fmt(e.ms.p50).padEnd(8)} ${fmt(e.ms.p95).padEnd(8)} ${fmt(e.ms.p99).padEnd(8)} ${e.recall_at_10.toFixed(3)}`,
    );
  }
}
const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("search.json", out),
  JSON.stringify({ date: new Date().toISOString(), results }, null, 2),
);
writeFileSync(
  new URL("search-ef.svg", out),
  barChartSvg(
    "HNSW ef_search sweep: p95 latency (ms) and recall@10 (x100)",
    "",
    results.flatMap((r) =>
      r.ef_sweep.map((e) => ({
        label: `${r.chunks / 1000}k ef=${e.ef_search}`,
        bars: { "p95 ms": e.ms.p95, "recall@10 x100": e.recall_at_10 * 100 },
      })),
    ),
  ),
);
writeFileSync(
  new URL("search.svg", out),
  barChartSvg(
    "Vault search latency, server-side (ms)",
    "ms",
    results.flatMap((r) => [
      {
        label: `${r.chunks / 1000}k vector`,
        bars: { p50: r.vector_ms.p50, p95: r.vector_ms.p95, p99: r.vector_ms.p99 },
      },
      {
        label: `${r.chunks / 1000}k hybrid`,
        bars: { p50: r.hybrid_ms.p50, p95: r.hybrid_ms.p95, p99: r.hybrid_ms.p99 },
      },
      {
        label: `${r.chunks / 1000}k before`,
        bars: { p50: r.planners_choice_ms.p50, p95: r.planners_choice_ms.p95, p99: r.planners_choice_ms.p99 },
      },
    ]),
  ),
);

/**
 * bench/search: hybrid and vector search latency over N synthetic 384-dimensional chunks on
 * Postgres + pgvector, recall@10 of the HNSW path against an exact scan, and ingest throughput.
 *
 *   npm run bench:search -- --sizes 100000,1000000 --queries 200 [--load incremental|bulk]
 *
 * Latency is measured server-side through the real service (searchVault), with the query
 * embedding excluded: queries are precomputed vectors. Data is clustered (2,000 centroids plus
 * noise) like real embeddings, not uniform noise. Figures print as a table and are written to
 * bench/results/search.json and search.svg.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  type AppContext,
  acquireListing,
  authenticateApiKey,
  createListing,
  createOrganization,
  createVault,
  installListing,
  loadConfig,
  openRuntime,
  publishListing,
  searchVault,
} from "@memstore/api";
import { newId } from "@memstore/core";
import { cubeVersions, cubes, queryRows, sql, toVectorLiteral } from "@memstore/db";
import { type Embedder, HashEmbedder, l2Normalise } from "@memstore/inference";
import { InProcessRunner } from "@memstore/queue";
import pg from "pg";
import { barChartSvg, summarise } from "./stats.ts";

const DIM = 384;
const CLUSTERS = 2000;
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const sizes = (args.sizes ?? "100000").split(",").map(Number);
const queryCount = Number(args.queries ?? 200);
/**
 * incremental: rows go into the indexed table, as the embed stage writes them (HNSW and GIN
 * maintained per insert). bulk: the HNSW index is dropped, rows are loaded, and the index is built
 * once afterwards — how a large corpus is first loaded; the index build time is reported apart.
 * Default: incremental up to 100k chunks, bulk above.
 */
const loadMode = (n: number) =>
  (args.load as "incremental" | "bulk" | undefined) ?? (n > 100_000 ? "bulk" : "incremental");

/** Deterministic gaussian noise (Box–Muller over mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    gauss: () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform()),
  };
}

function clusteredVectors(n: number, seed: number, centroids: Float32Array[]): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const c = centroids[Math.floor(r.uniform() * centroids.length)]!;
    const v = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) v[d] = c[d]! + 0.06 * r.gauss();
    return l2Normalise(v);
  });
}

/** Maps benchmark queries to their precomputed vectors; anything else goes to the hash embedder. */
class PrecomputedEmbedder implements Embedder {
  readonly model = "hash-ngram-v1-384";
  readonly dimension = DIM;
  private readonly fallback = new HashEmbedder(DIM);
  constructor(private readonly vectors: Map<string, Float32Array>) {}
  async embed(texts: readonly string[]) {
    return texts.map((t) => this.vectors.get(t) ?? this.fallback.embedOne(t));
  }
  async close() {}
}

const WORDS =
  "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega tax law river market cloud engine".split(
    " ",
  );

async function runSize(n: number) {
  const name = `memstore_bench_${n}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  const centroidRng = rng(1);
  const centroids = Array.from({ length: CLUSTERS }, () =>
    l2Normalise(Float32Array.from({ length: DIM }, centroidRng.gauss)),
  );
  const vectors = clusteredVectors(n, 2, centroids);
  const queries = clusteredVectors(queryCount + 20, 3, centroids);
  const queryTexts = queries.map((_, i) => `benchmark query ${i} ${WORDS[i % WORDS.length]}`);

  const config = loadConfig({
    DATABASE_URL: url.toString(),
    MEMSTORE_DATA_DIR: mkdtempSync(join(tmpdir(), "memstore-bench-")),
  });
  const runtime = await openRuntime(config, new InProcessRunner(), { migrate: true, log: () => {} });
  const ctx: AppContext = {
    ...runtime,
    embedder: new PrecomputedEmbedder(new Map(queryTexts.map((t, i) => [t, queries[i]!]))),
  };

  const pub = await createOrganization(ctx, { name: "Bench Publisher", ownerEmail: "pub@bench.example.com" });
  const sub = await createOrganization(ctx, {
    name: "Bench Subscriber",
    ownerEmail: "sub@bench.example.com",
  });
  const publisher = await authenticateApiKey(ctx, pub.api_key);
  const subscriber = await authenticateApiKey(ctx, sub.api_key);
  const cubeId = newId("cube");
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
    manifest: {},
    embeddingModel: ctx.embedder.model,
    embeddingDim: DIM,
    readyAt: new Date(),
  });

  const mode = loadMode(n);
  const [hnsw] = await queryRows<{ indexdef: string }>(
    ctx.db,
    sql`select indexdef from pg_indexes where indexname = 'chunks_embedding_384_hnsw'`,
  );
  if (mode === "bulk") await ctx.db.execute(sql`drop index chunks_embedding_384_hnsw`);
  const ids: string[] = [];
  const ingestStart = performance.now();
  const BATCH = 500;
  for (let i = 0; i < n; i += BATCH) {
    const slice = vectors.slice(i, i + BATCH);
    const batchIds = slice.map((_, j) => `chk_${i + j}`);
    ids.push(...batchIds);
    // One statement per batch with array parameters: the database, not query building, is measured.
    await ctx.db.execute(sql`
      insert into chunks (id, version_id, cube_id, position, text, embedding, embedding_dim)
      select id, ${versionId}, ${cubeId}, position, text, embedding::vector, ${DIM}
      from unnest(${sql.param(batchIds)}::text[], ${sql.param(slice.map((_, j) => i + j))}::int[],
                  ${sql.param(slice.map((_, j) => `chunk ${i + j} ${WORDS[(i + j) % WORDS.length]} ${WORDS[(i + j * 7) % WORDS.length]}`))}::text[],
                  ${sql.param(slice.map((v) => toVectorLiteral(v)))}::text[]) as t(id, position, text, embedding)`);
    if ((i / BATCH) % 20 === 0) process.stderr.write(`\r  ingest ${i + BATCH}/${n}`);
  }
  const ingestSeconds = (performance.now() - ingestStart) / 1000;
  process.stderr.write("\n");
  let indexBuildSeconds: number | null = null;
  if (mode === "bulk") {
    process.stderr.write("  building the HNSW index…\n");
    const buildStart = performance.now();
    await ctx.db.transaction(async (tx) => {
      await tx.execute(sql`set local maintenance_work_mem = '4GB'`);
      await tx.execute(sql`set local max_parallel_maintenance_workers = 2`);
      await tx.execute(sql.raw(hnsw!.indexdef));
    });
    indexBuildSeconds = (performance.now() - buildStart) / 1000;
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
  await ctx.db.execute(sql`analyze`);

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

  // Exact top-10 by brute force over every stored vector.
  let recallSum = 0;
  for (let q = 20; q < queries.length; q++) {
    const query = queries[q]!;
    const scored = vectors.map((v, i) => {
      let dot = 0;
      for (let d = 0; d < DIM; d++) dot += v[d]! * query[d]!;
      return { i, dot };
    });
    scored.sort((a, b) => b.dot - a.dot);
    const exact = new Set(scored.slice(0, 10).map((s) => ids[s.i]));
    recallSum += vector.hits[q - 20]!.filter((id) => exact.has(id)).length / 10;
  }
  await runtime.close();
  return {
    chunks: n,
    load: mode,
    ingest_rows_per_s: Math.round(n / ingestSeconds),
    index_build_s: indexBuildSeconds,
    vector_ms: vector.latency,
    hybrid_ms: hybrid.latency,
    recall_at_10: recallSum / queryCount,
  };
}

const results = [];
for (const n of sizes) {
  console.error(`bench/search: ${n} chunks`);
  results.push(await runSize(n));
}
const fmt = (x: number) => x.toFixed(2);
console.log(
  "\nchunks     load         ingest/s  index build s  vector p50/p95/p99 ms     hybrid p50/p95/p99 ms     recall@10",
);
for (const r of results) {
  console.log(
    `${String(r.chunks).padEnd(10)} ${r.load.padEnd(12)} ${String(r.ingest_rows_per_s).padEnd(9)} ${(r.index_build_s?.toFixed(1) ?? "-").padEnd(14)} ${[r.vector_ms.p50, r.vector_ms.p95, r.vector_ms.p99].map(fmt).join(" / ").padEnd(25)} ${[r.hybrid_ms.p50, r.hybrid_ms.p95, r.hybrid_ms.p99].map(fmt).join(" / ").padEnd(25)} ${r.recall_at_10.toFixed(3)}`,
  );
}
const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("search.json", out),
  JSON.stringify({ date: new Date().toISOString(), results }, null, 2),
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
    ]),
  ),
);

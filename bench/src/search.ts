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
import { cubeVersions, cubes, queryRows, sql, toVectorLiteral } from "@memstore/db";
import { type Embedder, HashEmbedder, l2Normalise } from "@memstore/inference";
import { createProcessors, InProcessRunner } from "@memstore/workers";
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
const dataKind = (args.data ?? "latent") as "latent" | "isotropic";
const reuse = process.argv.includes("--reuse");
const efValues = (args.ef ?? "40,100,200,400").split(",").map(Number);
const LATENT_DIM = 48;
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

/** The benchmark's vector source: deterministic for a seed, so a reused database matches. */
function vectorSource(kind: "latent" | "isotropic") {
  const r = rng(1);
  const space = kind === "latent" ? LATENT_DIM : DIM;
  const centroids = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: space }, r.gauss));
  // latent: a fixed random projection into DIM coordinates.
  const projection = Array.from({ length: DIM }, () => Float32Array.from({ length: LATENT_DIM }, r.gauss));
  return (n: number, seed: number): Float32Array[] => {
    const s = rng(seed);
    return Array.from({ length: n }, () => {
      const c = centroids[Math.floor(s.uniform() * centroids.length)]!;
      if (kind === "isotropic") {
        const v = new Float32Array(DIM);
        const norm = Math.hypot(...c);
        for (let d = 0; d < DIM; d++) v[d] = c[d]! / norm + 0.06 * s.gauss();
        return l2Normalise(v);
      }
      const z = Float32Array.from(c, (x) => x + 0.5 * s.gauss());
      const v = new Float32Array(DIM);
      for (let d = 0; d < DIM; d++) {
        const row = projection[d]!;
        let x = 0;
        for (let l = 0; l < LATENT_DIM; l++) x += row[l]! * z[l]!;
        v[d] = x + 0.5 * s.gauss();
      }
      return l2Normalise(v);
    });
  };
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

/** Inserts the corpus in batches of 500 (one statement each); bulk mode builds HNSW afterwards. */
async function loadChunks(
  ctx: AppContext,
  mode: "incremental" | "bulk",
  cubeId: string,
  versionId: string,
  vectors: Float32Array[],
) {
  const n = vectors.length;
  const [hnsw] = await queryRows<{ indexdef: string }>(
    ctx.db,
    sql`select indexdef from pg_indexes where indexname = 'chunks_embedding_384_hnsw'`,
  );
  if (mode === "bulk") await ctx.db.execute(sql`drop index chunks_embedding_384_hnsw`);
  const ingestStart = performance.now();
  const BATCH = 500;
  for (let i = 0; i < n; i += BATCH) {
    const slice = vectors.slice(i, i + BATCH);
    // One statement per batch with array parameters: the database, not query building, is measured.
    await ctx.db.execute(sql`
      insert into chunks (id, version_id, cube_id, position, text, embedding, embedding_dim)
      select id, ${versionId}, ${cubeId}, position, text, embedding::vector, ${DIM}
      from unnest(${sql.param(slice.map((_, j) => `chk_${i + j}`))}::text[], ${sql.param(slice.map((_, j) => i + j))}::int[],
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
  return { ingestSeconds, indexBuildSeconds };
}

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
    await ctx.db.execute(sql`update cube_versions set org_id = ${pub.org_id} where cube_id = ${cubeId}`);
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
    hybrid_ms: hybrid.latency,
    recall_at_10: recallOf(vector.hits),
    ef_sweep: sweep,
  };
}

/** Exact top-10 ids by inner product (vectors are unit length), keeping only the best ten. */
function exactTop10(vectors: Float32Array[], query: Float32Array, ids: string[]): Set<string> {
  const best: Array<{ i: number; dot: number }> = [];
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i]!;
    let dot = 0;
    for (let d = 0; d < DIM; d++) dot += v[d]! * query[d]!;
    if (best.length < 10 || dot > best[9]!.dot) {
      best.push({ i, dot });
      best.sort((a, b) => b.dot - a.dot);
      if (best.length > 10) best.pop();
    }
  }
  return new Set(best.map((b) => ids[b.i]!));
}

const results = [];
for (const n of sizes) {
  console.error(`bench/search: ${n} chunks (${dataKind} data)`);
  results.push(await runSize(n));
}
const fmt = (x: number) => x.toFixed(2);
console.log(
  "\nchunks     data       load         ingest/s  index build s  vector p50/p95/p99 ms     hybrid p50/p95/p99 ms     recall@10",
);
for (const r of results) {
  console.log(
    `${String(r.chunks).padEnd(10)} ${r.data.padEnd(10)} ${r.load.padEnd(12)} ${String(r.ingest_rows_per_s ?? "-").padEnd(9)} ${(r.index_build_s?.toFixed(1) ?? "-").padEnd(14)} ${[r.vector_ms.p50, r.vector_ms.p95, r.vector_ms.p99].map(fmt).join(" / ").padEnd(25)} ${[r.hybrid_ms.p50, r.hybrid_ms.p95, r.hybrid_ms.p99].map(fmt).join(" / ").padEnd(25)} ${r.recall_at_10.toFixed(3)}`,
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
    ]),
  ),
);

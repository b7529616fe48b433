import { performance } from "node:perf_hooks";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppContext, loadConfig, openRuntime } from "@memstore/api";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { manifestDraftSchema } from "@memstore/core";
import { cubes, cubeVersions, queryRows, sql, toVectorLiteral } from "@memstore/db";
import { cosineDistance } from "@memstore/api/internal";
import { type Embedder, HashEmbedder, l2Normalise } from "@memstore/inference";

/**
 * bench/search's corpus: deterministic synthetic embeddings (latent topics or isotropic clusters),
 * the embedder that maps benchmark queries to their vectors, loading chunks into Postgres, and the
 * exact top 10 recall is measured against.
 */
export const DIM = 384;
const CLUSTERS = 2000;
const LATENT_DIM = 48;

/** Deterministic uniform numbers in [0, 1) and gaussian noise (Box–Muller over mulberry32). */
export function rng(seed: number) {
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
export function vectorSource(kind: "latent" | "isotropic") {
  const r = rng(1);
  const space = kind === "latent" ? LATENT_DIM : DIM;
  const centroids = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: space }, r.gauss));
  // latent: a fixed random projection into DIM coordinates.
  const projection = Array.from({ length: DIM }, () => Float32Array.from({ length: LATENT_DIM }, r.gauss));
  /** `topics`: draw from these centroids only (a cube about a few subjects); all by default. */
  return (n: number, seed: number, topics?: readonly number[]): Float32Array[] => {
    const s = rng(seed);
    return Array.from({ length: n }, () => {
      const c = topics
        ? centroids[topics[Math.floor(s.uniform() * topics.length)]!]!
        : centroids[Math.floor(s.uniform() * centroids.length)]!;
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
export class PrecomputedEmbedder implements Embedder {
  readonly model = "hash-ngram-v1-384";
  readonly dimension = DIM;
  private readonly fallback = new HashEmbedder(DIM);
  constructor(private readonly vectors: Map<string, Float32Array>) {}
  async embed(texts: readonly string[]) {
    return texts.map((t) => this.vectors.get(t) ?? this.fallback.embedOne(t));
  }
  async close() {}
}

export const WORDS =
  "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega tax law river market cloud engine".split(
    " ",
  );

/** Inserts the corpus in batches of 500 (one statement each); bulk mode builds HNSW afterwards. */
export async function loadChunks(
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

/** Exact top-10 ids by inner product (vectors are unit length), keeping only the best ten. */
export function exactTop10(vectors: Float32Array[], query: Float32Array, ids: string[]): Set<string> {
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

/**
 * A plaintext cube and its ready 1.0.0 of `chunks` chunks, inserted straight into the tables (the
 * corpus's chunks follow; the pipeline is not what the search benchmarks measure).
 */
export async function insertCorpusVersion(
  ctx: AppContext,
  v: { cubeId: string; versionId: string; orgId: string; slug: string; title: string; chunks: number },
) {
  await ctx.db
    .insert(cubes)
    .values({ id: v.cubeId, orgId: v.orgId, slug: v.slug, type: "plaintext", title: v.title });
  await ctx.db.insert(cubeVersions).values({
    id: v.versionId,
    cubeId: v.cubeId,
    orgId: v.orgId,
    version: "1.0.0",
    status: "ready",
    manifest: {
      schema: "memcube/1",
      publisher: "bench",
      cube: v.slug,
      version: "1.0.0",
      parent: null,
      type: "plaintext",
      title: v.title,
      description: "",
      tags: [],
      created: new Date().toISOString(),
      ...manifestDraftSchema.parse({}),
      payload: null,
    },
    embeddingModel: ctx.embedder.model,
    embeddingDim: DIM,
    chunkCount: v.chunks,
    readyAt: new Date(),
  });
}

/**
 * A runtime on the benchmark's database (migrated) whose embedder maps the benchmark's query texts
 * to their precomputed vectors, with the real processors registered: publishing and installing
 * emit events they fan out.
 */
export async function openBenchRuntime(url: URL, texts: string[], vectors: Float32Array[]) {
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    MEMSTORE_DATA_DIR: mkdtempSync(join(tmpdir(), "memstore-bench-")),
  });
  const runner = new InProcessRunner();
  const runtime = await openRuntime(config, runner, { migrate: true, log: () => {} });
  const ctx: AppContext = {
    ...runtime,
    embedder: new PrecomputedEmbedder(new Map(texts.map((t, i) => [t, vectors[i]!]))),
  };
  runner.register(createProcessors(ctx));
  return { ctx, runner, runtime };
}

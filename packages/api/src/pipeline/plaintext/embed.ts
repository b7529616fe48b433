import { newId, withPayload } from "@memstore/core";
import { chunks, cubeVersions, type NewChunkRow, queryRows, sql, type VersionRow } from "@memstore/db";
import { setTimeout as sleep } from "node:timers/promises";
import { eq } from "drizzle-orm";
import { requireArtifact } from "../../kernel/artifacts.ts";
import type { AppContext } from "../../kernel/context.ts";
import { chunkCount } from "../queries.ts";
import { readLines } from "../source-lines.ts";
import { interactiveLoad } from "../interactive-load.ts";
import type { Report } from "../stage-runner.ts";
import type { ChunkRecord } from "./convert.ts";

/** Chunks embedded and inserted per statement: one round trip, one transaction, per batch. */
const EMBED_BATCH = 250;
/**
 * Batches inserted at once, on separate connections: inserting into the HNSW index is the stage's
 * cost (about 0.7 ms a row at 384 dimensions) and one backend does it on one core; two keep both
 * cores of a small machine busy (bench/ingest: 1,400 → 2,500 rows/s into the index alone).
 */
const INSERTS_IN_FLIGHT = 2;
/**
 * While interactive work runs beside it (see interactiveLoad), the stage gives way: one batch at a
 * time, each followed by a pause as long as it took — at most half of one core's database time, so
 * searches keep their share of a shared machine (bench:load, search p99 while publishing).
 */
const INSERTS_WHILE_BUSY = 1;

/**
 * The `embed` stage: reads the `chunks` artifact `convert` wrote, embeds it a batch at a time and
 * stores each batch's rows with their vectors in one multi-row insert (each row, its full-text and
 * its HNSW entry written once), two batches at a time, then hands the version to `sign`. A retry
 * skips the positions already stored; a version first embedded by another model is redone.
 */
export async function embedChunks(ctx: AppContext, version: VersionRow): Promise<Report> {
  const versionId = version.id;
  const { model, dimension } = ctx.embedder;
  if (version.embeddingModel !== model) {
    await ctx.db.transaction(async (tx) => {
      await tx.delete(chunks).where(eq(chunks.versionId, versionId));
      await tx
        .update(cubeVersions)
        .set({ embeddingModel: model, embeddingDim: dimension })
        .where(eq(cubeVersions.id, versionId));
    });
  }
  // Batches commit out of order, so a crashed attempt may leave gaps: skip exactly what is stored.
  const stored = new Set(
    (
      await queryRows<{ position: number }>(
        ctx.db,
        sql`select position from chunks where version_id = ${versionId}`,
      )
    ).map((r) => r.position),
  );
  const artifact = await requireArtifact(ctx.db, versionId, "chunks");
  let embedded = 0;
  const othersBusy = interactiveLoad(ctx);
  const store = async (batch: ChunkRecord[]) => {
    const vectors = await ctx.embedder.embed(
      batch.map((c) => (c.heading ? `${c.heading}\n${c.text}` : c.text)),
    );
    const started = performance.now();
    await ctx.db.insert(chunks).values(batch.map((c, i) => chunkRow(version, c, vectors[i]!, dimension)));
    embedded += batch.length;
    // The pause holds the batch's slot, so no other insert starts in it.
    if (await othersBusy()) await sleep(performance.now() - started);
  };
  const inFlight = new Set<Promise<void>>();
  const start = (batch: ChunkRecord[]) => {
    const storing: Promise<void> = store(batch).finally(() => inFlight.delete(storing));
    inFlight.add(storing);
  };
  try {
    let batch: ChunkRecord[] = [];
    for await (const line of readLines(await ctx.blobs.get(artifact.digest), artifact.digest)) {
      if (!line.text) continue;
      const record = JSON.parse(line.text) as ChunkRecord;
      if (stored.has(record.position)) continue;
      batch.push(record);
      if (batch.length < EMBED_BATCH) continue;
      start(batch);
      batch = [];
      while (inFlight.size >= ((await othersBusy()) ? INSERTS_WHILE_BUSY : INSERTS_IN_FLIGHT))
        await Promise.race(inFlight);
    }
    if (batch.length > 0) start(batch);
    await Promise.all(inFlight);
  } finally {
    // Nothing left running when the stage fails: the next attempt starts from what committed.
    await Promise.allSettled(inFlight);
  }
  // Each new row's full-text entry waits in the GIN index's pending list, which every keyword
  // search reads linearly until (auto)vacuum merges it. Merge it now, before the version can be
  // searched (bench/search: 18 ms → 0.3 ms for a 100k-chunk list).
  await ctx.db.execute(sql`select gin_clean_pending_list('chunks_tsv_gin'::regclass)`);
  const total = await chunkCount(ctx.db, { versionId });
  await ctx.db
    .update(cubeVersions)
    .set({ manifest: withPayload(version.manifest, { embedding: { model, dimension } }) })
    .where(eq(cubeVersions.id, versionId));
  return { chunks: total, embedded_this_attempt: embedded, model, dimension };
}

function chunkRow(version: VersionRow, c: ChunkRecord, vector: Float32Array, dimension: number): NewChunkRow {
  return {
    id: newId("chk"),
    versionId: version.id,
    cubeId: version.cubeId,
    position: c.position,
    text: c.text,
    heading: c.heading ?? null,
    tags: c.tags ?? [],
    metadata: c.metadata ?? {},
    validFrom: c.valid_from ? new Date(c.valid_from) : null,
    validUntil: c.valid_until ? new Date(c.valid_until) : null,
    embedding: Array.from(vector, (v) => (Number.isFinite(v) ? v : 0)),
    embeddingDim: dimension,
  };
}

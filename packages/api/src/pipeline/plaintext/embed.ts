import { withPayload } from "@memstore/core";
import { chunks, cubeVersions, type Executor, sql, toVectorLiteral, type VersionRow } from "@memstore/db";
import { and, asc, count, eq, gt, isNull, ne } from "drizzle-orm";
import type { AppContext } from "../../context.ts";
import type { Report } from "../stage-runner.ts";

const EMBED_BATCH = 128;

/**
 * The `embed` stage: embeds the chunks of a version that have no vector yet, then hands the version to
 * `sign`. A retry resumes where a crashed attempt stopped; vectors from another model are redone.
 */
export async function embedChunks(ctx: AppContext, version: VersionRow): Promise<Report> {
  const versionId = version.id;
  const { model, dimension } = ctx.embedder;
  if (version.embeddingModel !== model) {
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(chunks)
        .set({ embedding: null, embeddingDim: null })
        .where(and(eq(chunks.versionId, versionId), ne(chunks.embeddingDim, dimension)));
      await tx
        .update(cubeVersions)
        .set({ embeddingModel: model, embeddingDim: dimension })
        .where(eq(cubeVersions.id, versionId));
    });
  }
  let embedded = 0;
  // Walk the chunks in position order with a cursor, so each batch reads only rows not yet seen.
  for (let after = -1; ;) {
    const batch = await ctx.db
      .select({ id: chunks.id, text: chunks.text, heading: chunks.heading, position: chunks.position })
      .from(chunks)
      .where(and(eq(chunks.versionId, versionId), gt(chunks.position, after), isNull(chunks.embedding)))
      .orderBy(asc(chunks.position))
      .limit(EMBED_BATCH);
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.position;
    const vectors = await ctx.embedder.embed(
      batch.map((c) => (c.heading ? `${c.heading}\n${c.text}` : c.text)),
    );
    await writeEmbeddings(
      ctx.db,
      batch.map((c, i) => ({ id: c.id, vector: vectors[i]! })),
      dimension,
    );
    embedded += batch.length;
  }
  // Each embedding written is a new row version, so its full-text entry waits in the GIN index's
  // pending list, which every keyword search reads linearly until (auto)vacuum merges it. Merge it
  // now, before the version can be searched (bench/search: 18 ms → 0.3 ms for a 100k-chunk list).
  await ctx.db.execute(sql`select gin_clean_pending_list('chunks_tsv_gin'::regclass)`);
  const [counted] = await ctx.db
    .select({ total: count() })
    .from(chunks)
    .where(eq(chunks.versionId, versionId));
  const total = counted?.total ?? 0;
  await ctx.db
    .update(cubeVersions)
    .set({ manifest: withPayload(version.manifest, { embedding: { model, dimension } }) })
    .where(eq(cubeVersions.id, versionId));
  return { chunks: total, embedded_this_attempt: embedded, model, dimension };
}

async function writeEmbeddings(
  db: Executor,
  rows: Array<{ id: string; vector: Float32Array }>,
  dimension: number,
) {
  const values = sql.join(
    rows.map((r) => sql`(${r.id}, ${toVectorLiteral(r.vector)})`),
    sql`, `,
  );
  await db.execute(sql`
    update chunks set embedding = v.embedding::vector, embedding_dim = ${dimension}
    from (values ${values}) as v(id, embedding)
    where chunks.id = v.id`);
}

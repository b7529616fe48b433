import { chunkDocument, type MemoryItem, newId } from "@memstore/core";
import { artifacts, chunks, cubeVersions, type Tx } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import { memoryItems, plaintextFormatOf, withPayloadCounts } from "./ingest-version.ts";
import { convertBinary } from "./binary.ts";
import { runStage } from "./runs.ts";
import { type Line, readLines } from "./source-lines.ts";

const INSERT_BATCH = 500;

type VersionRow = typeof cubeVersions.$inferSelect;
type ChunkRow = typeof chunks.$inferInsert;

/**
 * The `convert` stage of a plaintext version: one chunk per memory item, or a document split into
 * chunks, read from the desensitised artifact and stored (without embeddings) in one transaction, so a
 * retry starts from a clean slate.
 */
export async function convertVersion(ctx: AppContext, versionId: string) {
  return runStage(ctx, versionId, "convert", async (version) => {
    if (version.manifest.type !== "plaintext") return convertBinary(ctx, version);
    const [artifact] = await ctx.db
      .select()
      .from(artifacts)
      .where(and(eq(artifacts.versionId, versionId), eq(artifacts.role, "desensitised")));
    if (!artifact) throw new Error(`version ${versionId} has no desensitised artifact`);
    const format = plaintextFormatOf(version);
    const stats = await ctx.db.transaction(async (tx) => {
      await tx.delete(chunks).where(eq(chunks.versionId, versionId));
      const lines = readLines(await ctx.blobs.get(artifact.digest), artifact.digest);
      const counts =
        format === "jsonl"
          ? await insertItems(tx, version, lines)
          : await insertDocument(tx, version, lines, {
              maxChars: ctx.config.CHUNK_MAX_CHARS,
              overlap: ctx.config.CHUNK_OVERLAP_CHARS,
            });
      await tx
        .update(cubeVersions)
        .set({ manifest: withPayloadCounts(version.manifest, { chunks: counts.chunks }) })
        .where(eq(cubeVersions.id, versionId));
      return counts;
    });
    return { report: { format, ...stats }, next: "embed" };
  });
}

async function insertItems(tx: Tx, version: VersionRow, lines: AsyncIterable<Line>) {
  let batch: ChunkRow[] = [];
  let position = 0;
  for await (const { item } of memoryItems(lines)) {
    batch.push(itemRow(version, item, position++));
    if (batch.length >= INSERT_BATCH) {
      await tx.insert(chunks).values(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await tx.insert(chunks).values(batch);
  return { chunks: position };
}

async function insertDocument(
  tx: Tx,
  version: VersionRow,
  lines: AsyncIterable<Line>,
  options: { maxChars: number; overlap: number },
) {
  const parts: string[] = [];
  for await (const line of lines) parts.push(line.text);
  const pieces = chunkDocument(parts.join("\n"), options);
  for (let i = 0; i < pieces.length; i += INSERT_BATCH) {
    await tx.insert(chunks).values(
      pieces.slice(i, i + INSERT_BATCH).map((p) => ({
        id: newId("chk"),
        versionId: version.id,
        cubeId: version.cubeId,
        position: p.position,
        text: p.text,
        heading: p.heading,
      })),
    );
  }
  return {
    chunks: pieces.length,
    lines: parts.length,
    max_chunk_chars: Math.max(0, ...pieces.map((p) => p.text.length)),
  };
}

function itemRow(version: VersionRow, item: MemoryItem, position: number): ChunkRow {
  return {
    id: newId("chk"),
    versionId: version.id,
    cubeId: version.cubeId,
    position,
    text: item.text,
    tags: item.tags,
    metadata: item.metadata,
    validFrom: item.valid_from ? new Date(item.valid_from) : null,
    validUntil: item.valid_until ? new Date(item.valid_until) : null,
  };
}

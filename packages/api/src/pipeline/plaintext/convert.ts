import { chunkDocument, type MemoryItem, newId, withPayload } from "@memstore/core";
import { chunks, cubeVersions, type NewChunkRow, type Tx, type VersionRow } from "@memstore/db";
import { eq } from "drizzle-orm";
import { requireArtifact } from "../../artifacts.ts";
import type { AppContext } from "../../context.ts";
import { type Line, readLines } from "../source-lines.ts";
import type { Report } from "../stage-runner.ts";
import { memoryItems, plaintextFormatOf } from "./items.ts";
import { MARK_COST_SAMPLE, markCost } from "./mark-cost.ts";

const INSERT_BATCH = 500;

/**
 * The `convert` stage of a plaintext version: one chunk per memory item, or a document split into
 * chunks, read from the desensitised artifact and stored (without embeddings) in one transaction, so a
 * retry starts from a clean slate.
 */
export async function chunkText(ctx: AppContext, version: VersionRow): Promise<Report> {
  const versionId = version.id;
  const artifact = await requireArtifact(ctx.db, versionId, "desensitised");
  const { format } = plaintextFormatOf(version);
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
      .set({ manifest: withPayload(version.manifest, { chunks: counts.chunks }), chunkCount: counts.chunks })
      .where(eq(cubeVersions.id, versionId));
    return counts;
  });
  const { sample, ...counts } = stats;
  return { format, ...counts, mark_cost: await markCost(sample) };
}

async function insertItems(tx: Tx, version: VersionRow, lines: AsyncIterable<Line>) {
  let batch: NewChunkRow[] = [];
  let position = 0;
  const sample: string[] = [];
  for await (const { item } of memoryItems(lines)) {
    if (sample.length < MARK_COST_SAMPLE) sample.push(item.text);
    batch.push(itemRow(version, item, position++));
    if (batch.length >= INSERT_BATCH) {
      await tx.insert(chunks).values(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await tx.insert(chunks).values(batch);
  return { chunks: position, sample };
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
    sample: pieces.slice(0, MARK_COST_SAMPLE).map((p) => p.text),
  };
}

function itemRow(version: VersionRow, item: MemoryItem, position: number): NewChunkRow {
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

import { Readable } from "node:stream";
import { chunkDocument, type MemoryItem, withPayload } from "@memstore/core";
import { chunks, cubeVersions, type VersionRow } from "@memstore/db";
import { eq } from "drizzle-orm";
import { requireArtifact, saveArtifact } from "../../kernel/artifacts.ts";
import type { AppContext } from "../../kernel/context.ts";
import { type Line, readLines } from "../source-lines.ts";
import type { Report } from "../stage-runner.ts";
import { memoryItems, plaintextFormatOf } from "./items.ts";
import { MARK_COST_SAMPLE, markCost } from "./mark-cost.ts";

/** One chunk as `convert` writes it to the `chunks` artifact (a JSONL line) and `embed` stores it. */
export type ChunkRecord = {
  position: number;
  text: string;
  heading?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
  valid_from?: string | null;
  valid_until?: string | null;
};

/**
 * The `convert` stage of a plaintext version: one chunk per memory item, or a document split into
 * chunks, read from the desensitised artifact and written as the `chunks` artifact (JSONL). The
 * rows are stored by `embed`, each once and with its vector: an insert followed by an update of
 * every row would write it, its full-text entry and its index entries twice (bench/ingest).
 */
export async function chunkText(ctx: AppContext, version: VersionRow): Promise<Report> {
  const artifact = await requireArtifact(ctx.db, version.id, "desensitised");
  const { format } = plaintextFormatOf(version);
  const lines = readLines(await ctx.blobs.get(artifact.digest), artifact.digest);
  const sample: string[] = [];
  const counts: { chunks: number; lines?: number; max_chunk_chars?: number } = { chunks: 0 };
  async function* records(): AsyncGenerator<Buffer> {
    const source =
      format === "jsonl"
        ? itemRecords(lines)
        : documentRecords(
            lines,
            { maxChars: ctx.config.CHUNK_MAX_CHARS, overlap: ctx.config.CHUNK_OVERLAP_CHARS },
            counts,
          );
    for await (const record of source) {
      if (sample.length < MARK_COST_SAMPLE) sample.push(record.text);
      counts.chunks++;
      yield Buffer.from(`${JSON.stringify(record)}\n`);
    }
  }
  // JSON escaping and a document's overlaps make the records larger than the text they hold.
  const stored = await ctx.blobs.put(Readable.from(records()), {
    maxBytes: 8 * ctx.config.MAX_PLAINTEXT_BYTES,
  });
  await ctx.db.transaction(async (tx) => {
    // A rerun starts `embed` from a clean slate.
    await tx.delete(chunks).where(eq(chunks.versionId, version.id));
    await saveArtifact(tx, {
      versionId: version.id,
      role: "chunks",
      contentType: "application/x-ndjson",
      ...stored,
    });
    await tx
      .update(cubeVersions)
      .set({ manifest: withPayload(version.manifest, { chunks: counts.chunks }), chunkCount: counts.chunks })
      .where(eq(cubeVersions.id, version.id));
  });
  return { format, ...counts, mark_cost: await markCost(sample) };
}

async function* itemRecords(lines: AsyncIterable<Line>): AsyncGenerator<ChunkRecord> {
  let position = 0;
  for await (const { item } of memoryItems(lines)) yield itemRecord(item, position++);
}

async function* documentRecords(
  lines: AsyncIterable<Line>,
  options: { maxChars: number; overlap: number },
  counts: { lines?: number; max_chunk_chars?: number },
): AsyncGenerator<ChunkRecord> {
  const parts: string[] = [];
  for await (const line of lines) parts.push(line.text);
  const pieces = chunkDocument(parts.join("\n"), options);
  counts.lines = parts.length;
  counts.max_chunk_chars = Math.max(0, ...pieces.map((p) => p.text.length));
  for (const p of pieces) yield { position: p.position, text: p.text, heading: p.heading };
}

function itemRecord(item: MemoryItem, position: number): ChunkRecord {
  return {
    position,
    text: item.text,
    tags: item.tags,
    metadata: item.metadata,
    valid_from: item.valid_from ?? null,
    valid_until: item.valid_until ?? null,
  };
}

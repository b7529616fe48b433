import { createHash } from "node:crypto";
import {
  chunkDocument,
  type DocumentChunk,
  type MemoryItem,
  newId,
  parseMemoryItemLine,
  Utf8Validator,
} from "@memstore/core";
import { chunks, cubeVersions, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import { PAYLOAD_FORMATS } from "./../publishing/versions.ts";
import { finishRun, type Rejection, rejectVersion, startRun } from "./runs.ts";

const INSERT_BATCH = 500;

class InputRejected extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
  }
}

type ChunkRow = typeof chunks.$inferInsert;

/**
 * The `ingest` stage of a plaintext version: verify the digest, check UTF-8, parse JSONL items or
 * chunk a document, and store the chunks (without embeddings) in one transaction. Bad input rejects
 * the version with a report naming the line or byte offset; nothing is left half-written.
 */
export async function ingestVersion(
  ctx: AppContext,
  versionId: string,
): Promise<"ingested" | "rejected" | "skipped"> {
  const [version] = await ctx.db.select().from(cubeVersions).where(eq(cubeVersions.id, versionId));
  if (version?.status !== "processing") return "skipped";
  const runId = await startRun(ctx.db, versionId, "ingest");
  const format = PAYLOAD_FORMATS.plaintext[version.contentType ?? ""];
  const started = Date.now();
  try {
    if (!format || !version.digest)
      throw new InputRejected({ code: "unsupported_format", message: "no plaintext payload" });
    if ((version.size ?? 0) > ctx.config.MAX_PLAINTEXT_BYTES) {
      throw new InputRejected({
        code: "too_large",
        message: `payload of ${version.size} bytes exceeds MAX_PLAINTEXT_BYTES (${ctx.config.MAX_PLAINTEXT_BYTES})`,
      });
    }
    const stats = await ctx.db.transaction(async (tx) => {
      await tx.delete(chunks).where(eq(chunks.versionId, versionId));
      const source = readLines(await ctx.blobs.get(version.digest!), version.digest!);
      return format === "jsonl"
        ? ingestJsonl(tx, version, source)
        : ingestDocument(tx, version, source, {
            maxChars: ctx.config.CHUNK_MAX_CHARS,
            overlap: ctx.config.CHUNK_OVERLAP_CHARS,
          });
    });
    await finishRun(ctx.db, runId, "succeeded", { format, ...stats, duration_ms: Date.now() - started });
  } catch (error) {
    if (error instanceof InputRejected) {
      await rejectVersion(ctx.db, versionId, runId, error.rejection, { format });
      return "rejected";
    }
    await finishRun(ctx.db, runId, "failed", {
      error: { code: "internal", message: String(error) },
      retrying: true,
    });
    throw error;
  }
  await ctx.jobs.enqueue("embed", { versionId });
  return "ingested";
}

type Line = { text: string; number: number; byteOffset: number };

/** Lines of a blob with their numbers and byte offsets; checks UTF-8 and the digest on the way. */
async function* readLines(stream: AsyncIterable<Buffer>, digest: string): AsyncGenerator<Line> {
  const validator = new Utf8Validator();
  const hash = createHash("sha256");
  const decoder = new TextDecoder("utf-8");
  let pending: Buffer = Buffer.alloc(0);
  let number = 0;
  let offset = 0;
  let sawBytes = false;
  const invalid = (at: number) =>
    new InputRejected({
      code: "invalid_utf8",
      message: `invalid UTF-8 at byte offset ${at}`,
      byte_offset: at,
    });

  for await (const chunk of stream) {
    sawBytes ||= chunk.length > 0;
    hash.update(chunk);
    const bad = validator.push(chunk);
    if (bad !== null) throw invalid(bad);
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let newline = pending.indexOf(0x0a);
    while (newline !== -1) {
      const bytes = pending.subarray(0, newline);
      yield { text: decoder.decode(bytes).replace(/\r$/, ""), number: ++number, byteOffset: offset };
      offset += newline + 1;
      pending = pending.subarray(newline + 1);
      newline = pending.indexOf(0x0a);
    }
  }
  const bad = validator.end();
  if (bad !== null) throw invalid(bad);
  if (!sawBytes) throw new InputRejected({ code: "empty_payload", message: "the payload is empty" });
  if (pending.length > 0) yield { text: decoder.decode(pending), number: ++number, byteOffset: offset };
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest) {
    throw new InputRejected({
      code: "digest_mismatch",
      message: `stored payload hashes to ${actual}, expected ${digest}`,
    });
  }
}

async function ingestJsonl(tx: Tx, version: typeof cubeVersions.$inferSelect, lines: AsyncIterable<Line>) {
  let batch: ChunkRow[] = [];
  let items = 0;
  let blank = 0;
  for await (const line of lines) {
    if (line.text.trim() === "") {
      blank++;
      continue;
    }
    const parsed = parseMemoryItemLine(line.text);
    if (!parsed.ok) {
      throw new InputRejected({
        code: "invalid_jsonl",
        message: `line ${line.number}: ${parsed.message}`,
        line: line.number,
        byte_offset: line.byteOffset,
      });
    }
    batch.push(itemRow(version, parsed.item, items++));
    if (batch.length >= INSERT_BATCH) {
      await tx.insert(chunks).values(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await tx.insert(chunks).values(batch);
  if (items === 0)
    throw new InputRejected({ code: "empty_payload", message: "the payload holds no memory items" });
  await tx
    .update(cubeVersions)
    .set({ manifest: withPayloadCounts(version.manifest, { items, chunks: items }) })
    .where(eq(cubeVersions.id, version.id));
  return { items, chunks: items, blank_lines: blank };
}

async function ingestDocument(
  tx: Tx,
  version: typeof cubeVersions.$inferSelect,
  lines: AsyncIterable<Line>,
  options: { maxChars: number; overlap: number },
) {
  const parts: string[] = [];
  for await (const line of lines) parts.push(line.text);
  const pieces: DocumentChunk[] = chunkDocument(parts.join("\n"), options);
  if (pieces.length === 0)
    throw new InputRejected({ code: "empty_payload", message: "the document has no text" });
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
  await tx
    .update(cubeVersions)
    .set({ manifest: withPayloadCounts(version.manifest, { chunks: pieces.length }) })
    .where(eq(cubeVersions.id, version.id));
  return {
    chunks: pieces.length,
    lines: parts.length,
    max_chunk_chars: Math.max(...pieces.map((p) => p.text.length)),
  };
}

function itemRow(version: typeof cubeVersions.$inferSelect, item: MemoryItem, position: number): ChunkRow {
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

function withPayloadCounts(manifest: Record<string, unknown>, counts: Record<string, number>) {
  const payload = (manifest.payload ?? {}) as Record<string, unknown>;
  return { ...manifest, payload: { ...payload, ...counts } };
}

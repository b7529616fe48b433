import { parseMemoryItemLine } from "@memstore/core";
import { cubeVersions } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import { PAYLOAD_FORMATS } from "../publishing/versions.ts";
import { ingestBinary } from "./binary.ts";
import { runStage } from "./runs.ts";
import { InputRejected, type Line, readLines } from "./source-lines.ts";

/**
 * The `ingest` stage of a plaintext version: verify the digest, check UTF-8 and size, and parse every
 * JSONL item (or count a document's lines). Bad input rejects the version with a report naming the
 * line or byte offset. Nothing is stored yet: the text goes on to `desensitise` before anything of it
 * is chunked or searchable.
 */
export async function ingestVersion(ctx: AppContext, versionId: string) {
  return runStage(ctx, versionId, "ingest", async (version) => {
    if (version.manifest.type !== "plaintext") return ingestBinary(ctx, version);
    const format = plaintextFormatOf(version);
    if (!format || !version.digest)
      throw new InputRejected({ code: "unsupported_format", message: "no plaintext payload" });
    if ((version.size ?? 0) > ctx.config.MAX_PLAINTEXT_BYTES) {
      throw new InputRejected({
        code: "too_large",
        message: `payload of ${version.size} bytes exceeds MAX_PLAINTEXT_BYTES (${ctx.config.MAX_PLAINTEXT_BYTES})`,
      });
    }
    const lines = readLines(await ctx.blobs.get(version.digest), version.digest);
    const counts = format === "jsonl" ? await checkJsonl(lines) : await checkDocument(lines);
    if ("items" in counts) {
      await ctx.db
        .update(cubeVersions)
        .set({ manifest: withPayloadCounts(version.manifest, { items: counts.items }) })
        .where(eq(cubeVersions.id, version.id));
    }
    return { report: { format, ...counts }, next: "desensitise" };
  });
}

export function plaintextFormatOf(version: typeof cubeVersions.$inferSelect) {
  return PAYLOAD_FORMATS.plaintext[version.contentType ?? ""];
}

/** Each non-blank line of a JSONL payload as a memory item, or the rejection naming the bad line. */
export async function* memoryItems(lines: AsyncIterable<Line>, onBlank: () => void = () => {}) {
  for await (const line of lines) {
    if (line.text.trim() === "") {
      onBlank();
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
    yield { item: parsed.item, line: line.number };
  }
}

async function checkJsonl(lines: AsyncIterable<Line>) {
  let items = 0;
  let blank = 0;
  for await (const _ of memoryItems(lines, () => blank++)) items++;
  if (items === 0)
    throw new InputRejected({ code: "empty_payload", message: "the payload holds no memory items" });
  return { items, blank_lines: blank };
}

async function checkDocument(lines: AsyncIterable<Line>) {
  let count = 0;
  let text = false;
  for await (const line of lines) {
    count++;
    text ||= line.text.trim() !== "";
  }
  if (!text) throw new InputRejected({ code: "empty_payload", message: "the document has no text" });
  return { lines: count };
}

export function withPayloadCounts(manifest: Record<string, unknown>, counts: Record<string, unknown>) {
  const payload = (manifest.payload ?? {}) as Record<string, unknown>;
  return { ...manifest, payload: { ...payload, ...counts } };
}

import { withPayload } from "@memstore/core";
import { cubeVersions, type VersionRow } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { AppContext } from "../../kernel/context.ts";
import { InputRejected } from "../input-rejected.ts";
import { type Line, readLines } from "../source-lines.ts";
import type { Report } from "../stage-runner.ts";
import { memoryItems, plaintextFormatOf } from "./items.ts";

/**
 * The `ingest` stage of a plaintext version: verify the digest, check UTF-8 and size, and parse every
 * JSONL item (or count a document's lines). Bad input rejects the version with a report naming the
 * line or byte offset. Nothing is stored yet: the text goes on to `desensitise` before anything of it
 * is chunked or searchable.
 */
export async function ingestText(ctx: AppContext, version: VersionRow): Promise<Report> {
  const { format, digest } = plaintextFormatOf(version);
  if ((version.size ?? 0) > ctx.config.MAX_PLAINTEXT_BYTES) {
    throw new InputRejected({
      code: "too_large",
      message: `payload of ${version.size} bytes exceeds MAX_PLAINTEXT_BYTES (${ctx.config.MAX_PLAINTEXT_BYTES})`,
    });
  }
  const lines = readLines(await ctx.blobs.get(digest), digest);
  const counts = format === "jsonl" ? await checkJsonl(lines) : await checkDocument(lines);
  if ("items" in counts) {
    await ctx.db
      .update(cubeVersions)
      .set({ manifest: withPayload(version.manifest, { items: counts.items }) })
      .where(eq(cubeVersions.id, version.id));
  }
  return { format, ...counts };
}

async function checkJsonl(lines: AsyncIterable<Line>) {
  let items = 0;
  let blank = 0;
  for await (const _ of memoryItems(lines, () => blank++)) items++;
  if (items === 0) {
    throw new InputRejected({ code: "empty_payload", message: "the payload holds no memory items" });
  }
  return { items, blank_lines: blank };
}

async function checkDocument(lines: AsyncIterable<Line>) {
  let count = 0;
  let text = false;
  for await (const line of lines) {
    count++;
    const nul = line.text.indexOf("\u0000");
    if (nul !== -1) {
      // Postgres stores no NUL in text: refused here, naming the line, rather than by a later insert.
      throw new InputRejected({
        code: "invalid_text",
        message: `line ${line.number}: a NUL character (U+0000), which text cannot hold`,
        line: line.number,
        byte_offset: line.byteOffset + Buffer.byteLength(line.text.slice(0, nul)),
      });
    }
    text ||= line.text.trim() !== "";
  }
  if (!text) throw new InputRejected({ code: "empty_payload", message: "the document has no text" });
  return { lines: count };
}

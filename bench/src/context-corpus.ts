/**
 * bench:context's corpus: public text — the Markdown the npm packages this repository pins ship
 * (READMEs, changelogs, guides under node_modules) and MemStore's own docs, chunked as MemStore
 * chunks Markdown — loaded straight into a version's chunks with the built-in embedder's vectors.
 * Past the public chunks, a larger vault is filled with chunks of four public sentences each, drawn
 * at random (seeded): new passages made only of public text.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { AppContext } from "@memstore/api";
import { chunkDocument } from "@memstore/core";
import { sql, toVectorLiteral } from "@memstore/db";
import { HashEmbedder } from "@memstore/inference";
import { DIM, insertCorpusVersion, rng } from "./search-corpus.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAX_FILE_BYTES = 2 << 20;

export type Passage = { text: string; heading: string | null };

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) markdownFiles(path, out);
    else if (entry.isFile() && entry.name.endsWith(".md") && statSync(path).size <= MAX_FILE_BYTES)
      out.push(path);
  }
  return out;
}

/** Every public passage, in a fixed order: the docs first, then node_modules' Markdown by path. */
export function publicPassages(): Passage[] {
  const files = [...markdownFiles(join(ROOT, "docs")), ...markdownFiles(join(ROOT, "node_modules"))];
  const seen = new Set<string>();
  const passages: Passage[] = [];
  for (const file of files) {
    for (const chunk of chunkDocument(readFileSync(file, "utf8"), { maxChars: 700, overlap: 0 })) {
      const text = chunk.text.trim();
      // Packages repeat each other (one licence text, one badge block): the corpus holds each once.
      if (text.length < 80 || seen.has(text)) continue;
      seen.add(text);
      passages.push({ text, heading: chunk.heading });
    }
  }
  return passages;
}

/** `count` passages: the public ones, then made of four public sentences each. */
export function corpusOf(passages: readonly Passage[], count: number, seed = 7): Passage[] {
  const out = passages.slice(0, count);
  if (out.length === count) return out;
  const sentences = passages.flatMap((p) => p.text.split(/(?<=[.!?])\s+/).filter((s) => s.length > 30));
  const next = rng(seed).uniform;
  while (out.length < count) {
    const picked = Array.from({ length: 4 }, () => sentences[Math.floor(next() * sentences.length)]!);
    out.push({ text: picked.join(" "), heading: null });
  }
  return out;
}

/** A ready version of these passages (ids `${prefix}_n`), embedded by the built-in embedder. */
export async function loadPassages(
  ctx: AppContext,
  at: { orgId: string; cubeId: string; versionId: string; slug: string },
  passages: readonly Passage[],
  origins?: readonly number[],
) {
  await insertCorpusVersion(ctx, { ...at, title: at.slug, chunks: passages.length });
  const embedder = new HashEmbedder(DIM);
  const BATCH = 500;
  for (let i = 0; i < passages.length; i += BATCH) {
    const slice = passages.slice(i, i + BATCH);
    await ctx.db.execute(sql`
      insert into chunks (id, version_id, cube_id, position, text, heading, metadata, embedding, embedding_dim)
      select id, ${at.versionId}, ${at.cubeId}, position, text, heading, metadata::jsonb, embedding::vector, ${DIM}
      from unnest(${sql.param(slice.map((_, j) => `${at.versionId}_${i + j}`))}::text[],
                  ${sql.param(slice.map((_, j) => i + j))}::int[], ${sql.param(slice.map((p) => p.text))}::text[],
                  ${sql.param(slice.map((p) => p.heading))}::text[],
                  ${sql.param(slice.map((_, j) => JSON.stringify({ origin: origins?.[i + j] ?? i + j })))}::text[],
                  ${sql.param(slice.map((p) => toVectorLiteral(embedder.embedOne(p.text))))}::text[])
        as t(id, position, text, heading, metadata, embedding)`);
    if ((i / BATCH) % 20 === 0)
      process.stderr.write(`\r  ${at.slug}: ${i + slice.length}/${passages.length}`);
  }
  process.stderr.write("\n");
}

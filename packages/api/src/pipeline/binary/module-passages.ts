import type { Manifest } from "@memstore/core";
import { type Executor, modulePassages, sql } from "@memstore/db";
import type { AppContext } from "../../kernel/context.ts";

/**
 * What a KV snapshot or LoRA pack is about, as the passages a context's module routing compares a
 * query with: its title; its description, a paragraph at a time; its tags; and the text it
 * documents (a snapshot's prompt, a pack's README) in windows of about 80 words. Written when the
 * version is ingested; a version ingested before this existed gets its own from its manifest the
 * first time a context looks (see context/modules.ts).
 */
const WINDOW_WORDS = 80;
/** The most passages one module is described by (a long README's first ones). */
export const MAX_MODULE_PASSAGES = 40;

export function modulePassageTexts(
  manifest: Pick<Manifest, "title" | "description" | "tags">,
  documented: string | null,
) {
  const texts = [manifest.title];
  for (const paragraph of manifest.description.split(/\n\s*\n/))
    if (paragraph.trim()) texts.push(paragraph.trim());
  if (manifest.tags.length > 0) texts.push(manifest.tags.join(", "));
  const words = (documented ?? "").split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i += WINDOW_WORDS) texts.push(words.slice(i, i + WINDOW_WORDS).join(" "));
  return texts.map((t) => t.slice(0, 4000)).slice(0, MAX_MODULE_PASSAGES);
}

/** Embeds and stores a version's module passages (replacing any it had); returns their vectors. */
export async function writeModulePassages(
  ctx: AppContext,
  db: Executor,
  versionId: string,
  texts: readonly string[],
): Promise<Float32Array[]> {
  const vectors = await ctx.embedder.embed(texts);
  await db.delete(modulePassages).where(sql`${modulePassages.versionId} = ${versionId}`);
  if (texts.length > 0) {
    // Two contexts describing an older version at once write the same rows: the second keeps the first's.
    await db
      .insert(modulePassages)
      .values(
        texts.map((text, n) => ({
          versionId,
          n,
          text,
          embedding: Array.from(vectors[n]!),
          embeddingDim: ctx.embedder.dimension,
        })),
      )
      .onConflictDoNothing();
  }
  return vectors;
}

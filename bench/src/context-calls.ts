/** bench:context's calls, as an agent makes them through the services: search, context, and what a context gave. */
import type { AppContext } from "@memstore/api";
import { contextWritten, vaultContext } from "@memstore/api/context";
import { searchVault } from "@memstore/api/search";
import type { Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import type { Passage } from "./context-corpus.ts";

export type Bench = { ctx: AppContext; owner: Subject; buyer: Subject; runner: { idle(): Promise<void> } };

/** A question about passage i: ten of its words from the middle; the passage answers it. */
export function questionsOf(corpus: readonly Passage[], ids: readonly string[], n: number) {
  return Array.from({ length: n }, (_, j) => {
    const i = Math.floor((j * corpus.length) / n);
    const words = corpus[i]!.text.split(/\s+/).filter((w) => /\p{L}/u.test(w));
    const start = Math.max(0, Math.floor(words.length / 2) - 5);
    return { query: words.slice(start, start + 10).join(" "), answer: ids[i]! };
  });
}

/** Chunk ids a context delivered, as it recorded them for feedback. */
export async function contextPassages(ctx: AppContext, contextId: string) {
  await contextWritten(contextId);
  const [row] = await queryRows<{ passages: Array<{ id: string }> }>(
    ctx.db,
    sql`select passages from agent_contexts where id = ${contextId}`,
  );
  return row!.passages.map((p) => p.id);
}

export const search = (b: Bench, vaultId: string, query: string, topK: number) =>
  searchVault(b.ctx, b.buyer, vaultId, { query, top_k: topK, filter: {}, mode: "hybrid" });
export const context = (b: Bench, vaultId: string, query: string, maxTokens: number, extra = {}) =>
  vaultContext(
    b.ctx,
    b.buyer,
    vaultId,
    { query, max_tokens: maxTokens, tokenizer: "o200k_base", diversity: 0.3, filter: {}, ...extra },
    "http://bench.invalid",
  );

import { fuseByReciprocalRank } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import type { SearchInput } from "./schemas.ts";
import { fusedHybridHits } from "./search-hybrid.ts";
import { keywordHitsAllThenAny } from "./search-keyword.ts";
import { type Row, type Scope, vectorHits } from "./queries.ts";

/** Each side of the fusion looks this far down its own ranking; a single side needs only top_k. */
export const candidatesFor = (input: SearchInput) =>
  input.mode === "hybrid" ? Math.max(50, input.top_k * 5) : input.top_k;

/**
 * The search's hits, best first, with their scores. A hybrid search under the exact plan is fused
 * in Postgres (one statement, `rows` back: top_k unless the caller will leave some out); otherwise
 * each side runs on its own connection at once and the two lists are fused here.
 */
export async function rankedHits(
  ctx: AppContext,
  scope: Scope,
  input: SearchInput,
  k: number,
  rows = input.top_k,
  /** The query's embedding where the caller made it already. */
  queryVector?: Promise<Float32Array>,
) {
  const dimension = ctx.embedder.dimension;
  const embedded = () => queryVector ?? ctx.embedder.embed([input.query]).then(([vector]) => vector!);
  if (input.mode === "hybrid" && (scope.plan === "exact" || scope.versions.length === 0)) {
    const vector = await embedded();
    const fusedRows = await fusedHybridHits(ctx.db, {
      scope,
      dimension,
      vector,
      text: input.query,
      k,
      topK: rows,
    });
    if (fusedRows) return fusedRows.map((hit) => ({ hit, score: hit.rank_value }));
    // A text with no words has no keyword side: the vector side's ranks alone.
    return fused([await vectorHits(ctx.db, scope, dimension, vector, k), []]);
  }
  const [vectorList, keywordList] = await Promise.all([
    input.mode === "keyword"
      ? null
      : embedded().then((vector) => vectorHits(ctx.db, scope, dimension, vector, k)),
    input.mode === "vector" ? null : keywordHitsAllThenAny(ctx.db, scope, input.query, k),
  ]);
  return vectorList && keywordList
    ? fused([vectorList, keywordList])
    : (vectorList ?? keywordList!).map((h) => ({ hit: h, score: h.rank_value }));
}

const fused = (lists: Row[][]) =>
  fuseByReciprocalRank(lists.map((list) => list.map((h) => ({ key: h.id, item: h })))).map((f) => ({
    hit: f.item,
    score: f.score,
  }));

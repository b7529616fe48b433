import { sql, toVectorLiteral } from "@memstore/db";
import { wordsOf } from "@memstore/inference";
import type { SQL } from "drizzle-orm";

/**
 * Full-text side of hybrid search: the query's words OR-ed, so a long natural-language question
 * still matches documents holding some of its words; ts_rank_cd favours those holding more.
 */
export function orTsQuery(text: string): string | null {
  return keywordQueries(text)?.any ?? null;
}

/**
 * The query's words as two tsqueries: `all` (AND: few, precise matches) and `any` (OR: the
 * fallback when too few documents hold every word). Null when the text has no words.
 */
export function keywordQueries(text: string): { all: string; any: string } | null {
  const words = [...new Set(wordsOf(text))].slice(0, 64);
  return words.length ? { all: words.join(" & "), any: words.join(" | ") } : null;
}

/**
 * At most this many full-text matches are ranked per query: a broad OR query over a large corpus
 * would otherwise rank every match (ts_rank_cd reads each row) to keep the top few. The AND query
 * runs first, so documents holding every word come before those holding some (unless more than
 * this many hold every word). bench/search at 100k chunks: 1000 → 250 took keyword search from
 * 22 to 8 ms p50.
 */
export const KEYWORD_CANDIDATES = 250;

/** `embedding <=> query` on the HNSW index of the given dimension (the partial expression index). */
export function cosineDistance(column: string, dimension: number, vector: Float32Array): SQL {
  const d = Math.trunc(dimension);
  return sql`(${sql.raw(`${column}::vector(${d})`)} <=> ${toVectorLiteral(vector)}::${sql.raw(`vector(${d})`)})`;
}

import { sql, toVectorLiteral } from "@memstore/db";
import { wordsOf } from "@memstore/inference";
import type { SQL } from "drizzle-orm";

/**
 * Full-text side of hybrid search: the query's words OR-ed, so a long natural-language question
 * still matches documents holding some of its words; ts_rank_cd favours those holding more.
 */
export function orTsQuery(text: string): string | null {
  const words = [...new Set(wordsOf(text))].slice(0, 64);
  return words.length ? words.join(" | ") : null;
}

/** `embedding <=> query` on the HNSW index of the given dimension (the partial expression index). */
export function cosineDistance(column: string, dimension: number, vector: Float32Array): SQL {
  const d = Math.trunc(dimension);
  return sql`(${sql.raw(`${column}::vector(${d})`)} <=> ${toVectorLiteral(vector)}::${sql.raw(`vector(${d})`)})`;
}

import { RRF_K } from "@memstore/core";
import { type Db, queryRowsPrepared, sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { keywordSideStatement } from "./search-keyword.ts";
import { exactVectorStatement, type Row, type Scope } from "./queries.ts";

/**
 * A hybrid search under the exact plan as one statement: both sides' candidates ranked in
 * Postgres, fused by reciprocal rank there exactly as `fuseByReciprocalRank` fuses them (score
 * Σ 1 / (RRF_K + rank), ties to the better single rank, then the id), and only the top_k rows
 * come back, their score as `rank_value`. One round trip instead of two, and a few rows instead
 * of both sides' candidates (bench/load). Null when the text has no words (no keyword side).
 */
export async function fusedHybridHits(db: Db, search: FusedSearch): Promise<Row[] | null> {
  const statement = fusedHybridStatement(search);
  return statement ? queryRowsPrepared<Row>(db, statement) : null;
}

/** A hybrid search under the exact plan: k candidates a side, top_k fused rows back. */
export type FusedSearch = {
  scope: Scope;
  dimension: number;
  vector: Float32Array;
  text: string;
  k: number;
  topK: number;
};

/** The statement of `fusedHybridHits` (exported so a test can compare it with the fusion in Node). */
export function fusedHybridStatement({ scope, dimension, vector, text, k, topK }: FusedSearch): SQL | null {
  const keyword = keywordSideStatement(scope, text, k);
  if (!keyword) return null;
  const columns = sql`id, source, text, heading, position, tags, metadata, version_id`;
  // Each side's rank (from 1) in the order its own statement returns it; ids compare bytewise.
  return sql`with vector_side as materialized (${exactVectorStatement(scope, dimension, vector, k)}),
      keyword_side as materialized (${keyword}),
      ranked as (
        select id, row_number() over (order by rank_value desc, id collate "C") as n from vector_side
        union all
        select id, row_number() over (order by tier, rank_value desc, id) as n from keyword_side),
      fused as (
        select id, sum(1::float8 / (${sql.raw(String(RRF_K))} + n)) as score, min(n) as best
        from ranked group by id)
    select hit.*, fused.score as rank_value from fused
    cross join lateral (
      (select ${columns} from vector_side where vector_side.id = fused.id)
      union all
      (select ${columns} from keyword_side where keyword_side.id = fused.id)
      limit 1) hit
    order by fused.score desc, fused.best, fused.id collate "C" limit ${topK}`;
}

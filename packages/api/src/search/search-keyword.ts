import type { SQL } from "drizzle-orm";
import { type Db, queryRows, queryRowsPrepared, sql } from "@memstore/db";
import { KEYWORD_CANDIDATES, keywordQueries } from "./query.ts";
import { CHUNK_COLUMNS, MEMORY_COLUMNS, type Row, type Scope } from "./queries.ts";

/**
 * The keyword side of a vault search: Postgres full-text over the vault's chunks and the
 * organisation's own memories, documents holding every word first.
 */

/**
 * Documents holding every word first; if fewer than k, topped up from those holding any word — in
 * one statement (see `keywordSideStatement`). Empty when the text has no words.
 */
export async function keywordHitsAllThenAny(db: Db, scope: Scope, text: string, k: number): Promise<Row[]> {
  const statement = keywordSideStatement(scope, text, k);
  if (!statement) return [];
  // The index plan is planned with its words known (see keywordStatement); the exact plan prepared.
  return scope.plan === "index" && scope.versions.length > 0
    ? queryRows<Row>(db, statement)
    : queryRowsPrepared<Row>(db, statement);
}

/**
 * The keyword side as one statement, its rows in rank order, each with its tier (0: holds every
 * word, 1: some): the any-word pass runs only when the every-word pass found fewer than k (a
 * one-time filter), and leaves out what that pass found. Null when the text has no words.
 */
export function keywordSideStatement(scope: Scope, text: string, k: number): SQL | null {
  const queries = keywordQueries(text);
  if (!queries) return null;
  if (queries.all === queries.any) {
    return sql`select *, 0 as tier from (${keywordStatement(scope, queries.all, k)}) hits
      order by rank_value desc, id`;
  }
  return sql`with every_word as materialized (${keywordStatement(scope, queries.all, k)})
      select *, 0 as tier from every_word
      union all
      select * from (select *, 1 as tier from (${keywordStatement(scope, queries.any, k)}) some_word
        where (select count(*) from every_word) < ${k}
          and some_word.id not in (select id from every_word)) more
      order by tier, rank_value desc, id limit ${k}`;
}

/**
 * Full-text matches of one tsquery ranked by ts_rank_cd. For a vault below the exact threshold its
 * chunks are read by version and matched (the fence keeps a common word's long GIN posting list out
 * of it); above, the matches come from the GIN index or from reading the table, as the words call
 * for, and the versions filter them. Exported so a test can EXPLAIN exactly this.
 */
export function keywordStatement(scope: Scope, tsq: string, k: number): SQL {
  // Exact: a scalar subquery, parsed once per execution (an InitPlan), also under the prepared
  // statement's generic plan, where `to_tsquery` of a parameter would be parsed again for every row.
  // Index: the words as the planner's constant (an unnamed statement, planned with its values), so
  // it can weigh them: a common word's matches are found by reading the table until enough came (at
  // 1M chunks, 8.5 ms for a word in 11 % of them against 65–85 ms building the GIN bitmap of its
  // 114k matches), a rare word's through the GIN index (0.4 ms).
  const query =
    scope.plan === "exact" ? sql`(select to_tsquery('english', ${tsq}))` : sql`to_tsquery('english', ${tsq})`;
  // The inner limit caps how many matches get ranked (see KEYWORD_CANDIDATES).
  // Exact: the vault's chunks read by version, then matched. Index: the GIN index alone finds the
  // matches, and the versions filter them as they come (the fence keeps the planner from ANDing in a
  // bitmap of the versions' chunks: for a vault holding a million, that bitmap alone took 280 ms).
  const source =
    scope.plan === "exact"
      ? sql`(select ${CHUNK_COLUMNS}, ch.tsv from chunks ch where ${scope.chunkWhere} offset 0) ch
          where ch.tsv @@ ${query}`
      : sql`(select ${CHUNK_COLUMNS}, ch.tsv, ch.valid_from, ch.valid_until from chunks ch
            where ch.tsv @@ ${query} offset 0) ch
          where ${scope.chunkWhere}`;
  const chunkHits = sql`select * from (
      select ${CHUNK_COLUMNS}, ts_rank_cd(ch.tsv, ${query}) as rank_value from ${source}
      limit ${KEYWORD_CANDIDATES}) matches
    order by rank_value desc, id limit ${k}`;
  const memoryHits = sql`select * from (
      select ${MEMORY_COLUMNS}, ts_rank_cd(m.tsv, ${query}) as rank_value from memories m
      where ${scope.memoryWhere} and m.tsv @@ ${query} limit ${KEYWORD_CANDIDATES}) matches
    order by rank_value desc, id limit ${k}`;
  const both =
    scope.versions.length > 0 ? sql`(${chunkHits}) union all (${memoryHits})` : sql`(${memoryHits})`;
  return sql`select * from (${both}) hits order by rank_value desc, id limit ${k}`;
}

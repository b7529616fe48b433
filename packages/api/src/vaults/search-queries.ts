import type { MarkDensity } from "@memstore/core";
import { type Executor, queryRows, SESSION_EF_SEARCH, sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { cosineDistance, KEYWORD_CANDIDATES, keywordQueries } from "../search/query.ts";
import { effectiveTermsSql } from "../usage/license-rate.ts";
import type { SearchInput } from "./schemas.ts";

/**
 * The two sides of a vault search as SQL: pgvector HNSW cosine and Postgres full-text, each over the
 * vault's installed chunks and the organisation's own memories, filtered by the search's scope.
 */

/** HNSW ef_search: at least 100 (recall@10 ≥ 0.95 at 1M chunks, see bench/search), twice the candidates. */
const efSearchFor = (k: number) => Math.min(1000, Math.max(100, k * 2));

export type Hit = {
  id: string;
  source: "install" | "memory";
  text: string;
  heading: string | null;
  position: number | null;
  tags: string[];
  metadata: Record<string, unknown>;
  cube_id: string | null;
  cube_slug: string | null;
  version_id: string | null;
  version: string | null;
  publisher: string | null;
  install_id: string | null;
  canaries: boolean;
  marks: MarkDensity;
  rank_value: number;
};

export type Scope = { chunkWhere: SQL; memoryWhere: SQL };

/**
 * Whether install `i`'s listing licenses a call made for `purposes`: its terms name no purposes, or
 * one of these.
 */
export function purposeLicensedSql(purposes: readonly string[]): SQL {
  return sql`not exists (select 1 from listings pl
                cross join lateral (select ${effectiveTermsSql(sql`i.org_id`, sql`pl`)} as terms) pt
                where pl.id = i.listing_id
                and jsonb_typeof(pt.terms->'purposes') = 'array' and jsonb_array_length(pt.terms->'purposes') > 0
                and not (pt.terms->'purposes') ?| ${toTextArray([...purposes])})`;
}

export function scopeFilters(
  vaultId: string,
  filter: SearchInput["filter"],
  purposes: readonly string[],
): Scope {
  const tags = filter.tags;
  const cubeIds = filter.cube_ids;
  return {
    chunkWhere: sql.join(
      [
        sql`i.vault_id = ${vaultId} and i.uninstalled_at is null and i.state = 'activated'`,
        purposeLicensedSql(purposes),
        // The organisation's entitlement must hold at this moment, not only at the last sweep: the
        // vault's organisation's live entitlements, computed once per query (not per chunk).
        sql`i.listing_id in (select e.listing_id from entitlements e join vaults ev on ev.org_id = e.org_id
                             where ev.id = ${vaultId} and e.revoked_at is null
                               and e.state in ('active', 'trialing', 'past_due')
                               and (e.valid_until is null or e.valid_until > now()))`,
        sql`(ch.valid_from is null or ch.valid_from <= now()) and (ch.valid_until is null or ch.valid_until > now())`,
        tags ? sql`ch.tags && ${toTextArray(tags)}` : sql`true`,
        cubeIds ? sql`ch.cube_id = any(${toTextArray(cubeIds)})` : sql`true`,
      ],
      sql` and `,
    ),
    memoryWhere: sql.join(
      [
        sql`m.vault_id = ${vaultId} and m.is_current and m.state = 'activated'`,
        sql`(m.expires_at is null or m.expires_at > now())`,
        tags ? sql`m.tags && ${toTextArray(tags)}` : sql`true`,
        // Own memories belong to no cube: a cube filter leaves them out.
        cubeIds ? sql`false` : sql`true`,
      ],
      sql` and `,
    ),
  };
}

const toTextArray = (values: string[]) =>
  sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;

const CHUNK_COLUMNS = sql`ch.id, 'install' as source, ch.text, ch.heading, ch.position, ch.tags, ch.metadata,
  c.id as cube_id, c.slug as cube_slug, v.id as version_id, v.version, o.slug as publisher, i.id as install_id,
  l.canaries, l.marks`;
const CHUNK_FROM = sql`installs i
  join cube_versions v on v.id = i.version_id
  join chunks ch on ch.version_id = i.version_id
  join cubes c on c.id = ch.cube_id
  join organizations o on o.id = c.org_id
  join listings l on l.id = i.listing_id`;
const MEMORY_COLUMNS = sql`m.memory_id as id, 'memory' as source, m.text, null as heading, null::int as position, m.tags, m.metadata,
  null as cube_id, null as cube_slug, null as version_id, null as version, null as publisher, null as install_id,
  false as canaries, 'off' as marks`;

export async function vectorHits(
  db: Executor,
  scope: Scope,
  dimension: number,
  vector: Float32Array,
  k: number,
  wantInstalls: boolean,
) {
  const chunkDistance = cosineDistance("ch.embedding", dimension, vector);
  const memoryDistance = cosineDistance("m.embedding", dimension, vector);
  const chunkHits = sql`select ${CHUNK_COLUMNS}, 1 - ${chunkDistance} as rank_value from ${CHUNK_FROM}
      where ${scope.chunkWhere} and ch.embedding_dim = ${dimension}
      order by ${chunkDistance} limit ${k}`;
  const memoryHits = sql`select ${MEMORY_COLUMNS}, 1 - ${memoryDistance} as rank_value from memories m
      where ${scope.memoryWhere} and m.embedding_dim = ${dimension}
      order by ${memoryDistance} limit ${k}`;
  // Each side keeps its own index scan (the parentheses); one statement, one plan, one round trip.
  const query = sql`select * from (${bothSides(chunkHits, memoryHits, wantInstalls)}) hits order by rank_value desc limit ${k}`;
  const efSearch = efSearchFor(k);
  // The session's ef_search (see SESSION_EF_SEARCH) serves most searches without a transaction.
  if (efSearch <= SESSION_EF_SEARCH) return queryRows<Hit>(db, query);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('hnsw.ef_search', ${String(efSearch)}, true)`);
    return queryRows<Hit>(tx, query);
  });
}

/** Documents holding every word first; if fewer than k, topped up from those holding any word. */
export async function keywordHitsAllThenAny(
  db: Executor,
  scope: Scope,
  text: string,
  k: number,
  wantInstalls: boolean,
): Promise<Hit[]> {
  const queries = keywordQueries(text);
  if (!queries) return [];
  const hits = await keywordHits(db, scope, queries.all, k, wantInstalls);
  if (hits.length >= k || queries.all === queries.any) return hits;
  const seen = new Set(hits.map((h) => h.id));
  const more = await keywordHits(db, scope, queries.any, k, wantInstalls);
  return [...hits, ...more.filter((h) => !seen.has(h.id))].slice(0, k);
}

export async function keywordHits(db: Executor, scope: Scope, tsq: string, k: number, wantInstalls: boolean) {
  const query = sql`to_tsquery('english', ${tsq})`;
  // The inner limit caps how many matches get ranked (see KEYWORD_CANDIDATES).
  const chunkHits = sql`select * from (
      select ${CHUNK_COLUMNS}, ts_rank_cd(ch.tsv, ${query}) as rank_value from ${CHUNK_FROM}
      where ${scope.chunkWhere} and ch.tsv @@ ${query} limit ${KEYWORD_CANDIDATES}) matches
    order by rank_value desc, id limit ${k}`;
  const memoryHits = sql`select * from (
      select ${MEMORY_COLUMNS}, ts_rank_cd(m.tsv, ${query}) as rank_value from memories m
      where ${scope.memoryWhere} and m.tsv @@ ${query} limit ${KEYWORD_CANDIDATES}) matches
    order by rank_value desc, id limit ${k}`;
  return queryRows<Hit>(
    db,
    sql`select * from (${bothSides(chunkHits, memoryHits, wantInstalls)}) hits order by rank_value desc, id limit ${k}`,
  );
}

/** The installed chunks' hits (unless the search's types leave them out) and the memories', as one list. */
const bothSides = (chunkHits: SQL, memoryHits: SQL, wantInstalls: boolean) =>
  wantInstalls ? sql`(${chunkHits}) union all (${memoryHits})` : sql`(${memoryHits})`;

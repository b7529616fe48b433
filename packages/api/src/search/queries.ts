import type { CubeType, MarkDensity } from "@memstore/core";
import {
  type Db,
  queryRows,
  queryRowsPrepared,
  queryRowsWithSettings,
  sql,
  toVectorLiteral,
} from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { cosineDistance } from "./query.ts";
import { effectiveTermsSql } from "../usage/license-rate.ts";
import { shareCapSql } from "../usage/share-cap.ts";
import type { SearchInput } from "./schemas.ts";

/**
 * The two sides of a vault search as SQL: cosine similarity and Postgres full-text, each over the
 * chunks of the versions a vault can see and the organisation's own memories. Which versions those
 * are, and how many chunks they hold, is settled before (see `visibleVersionsSql`); the chunk side
 * then picks its plan from that count, not from the planner's row estimates.
 */

/** The largest index measured to keep recall@10 ≥ 0.99 at ef_search 100 (see `efSearchFor`). */
const SMALL_INDEX_MAX_CHUNKS = 100_000;

/**
 * HNSW ef_search for the chunk side: twice the candidates, and at least 100 while the index holds up
 * to 100k chunks, 200 above (the graph's size is what recall depends on, whatever share of it a
 * vault holds). bench/search's sweep of the bare HNSW query (recall@10, p50):
 * - 10k chunks: ef 100 0.998 at 2.5 ms, ef 200 1.000 at 2.9 ms;
 * - 100k: ef 100 1.000 at 3.6 ms, ef 200 1.000 at 5.7 ms;
 * - 1M: ef 100 0.954 (0.939 in another graph build), ef 200 0.984, for 0.1 ms more.
 */
const efSearchFor = (k: number, chunks: number) =>
  Math.min(1000, Math.max(chunks <= SMALL_INDEX_MAX_CHUNKS ? 100 : 200, k * 2));

/**
 * Up to this many visible chunks a vector search scans them exactly: the vault's versions through
 * their btree index, every distance computed, the top k sorted out. Above it, the HNSW index with
 * the versions as a filter (iterative scan). Measured by bench/search's plan sweep: an exact scan
 * costs about 1 µs per chunk, the filtered HNSW scan a few ms whatever the vault's size.
 */
export const EXACT_SCAN_MAX_CHUNKS = 5000;
/**
 * A vault holding less than this share of the store's chunks is scanned exactly whatever its size:
 * the filtered HNSW scan must walk past everyone else's neighbours first. bench/search's marketplace
 * sweep (1,000 cubes of 1,000 chunks): the HNSW path took 173 ms at 0.1 %, 90 ms at 2 %, 30 ms at
 * 5 %, against an exact scan's 3, 33 and 75 ms — the crossover near 3.5 %.
 */
export const EXACT_SCAN_MAX_SHARE = 0.035;

/** A version a vault searches, with what a result from it carries. */
export type VisibleVersion = {
  version_id: string;
  install_id: string;
  cube_id: string;
  cube_slug: string;
  version: string;
  publisher: string;
  canaries: boolean;
  marks: MarkDensity;
  chunks: number;
  listing_id: string;
  /** The most distinct chunks of this listing the organisation may receive in 24 hours; null: no cap. */
  share_cap: number | null;
  /** The cube's type: a context routes the binary ones (as the admission reads it; absent where a caller built the list). */
  type?: CubeType;
};

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

/**
 * What a search covers: the versions (none when the search leaves installed chunks out), the
 * chunk-level filters, the memories' filter, and the plan the chunk side runs.
 */
export type Scope = {
  versions: VisibleVersion[];
  chunkWhere: SQL;
  memoryWhere: SQL;
  plan: "exact" | "index";
  /** The chunks the HNSW index holds (every ready version's): the graph the index plan walks. */
  indexChunks: number;
};

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

/**
 * The versions installed in the vault that serve a call for `purposes` now: the install activated,
 * its listing licensing the purpose, the organisation's entitlement live. As JSON, for the search's
 * admission statement (`v` is the vault row).
 */
export function visibleVersionsSql(purposes: readonly string[], asOf?: Date): SQL {
  return sql`coalesce((
      select json_agg(json_build_object('version_id', cv.id, 'install_id', i.id, 'cube_id', c.id,
          'cube_slug', c.slug, 'version', cv.version, 'publisher', o.slug, 'canaries', l.canaries,
          'marks', l.marks, 'chunks', coalesce(cv.chunk_count, 0), 'listing_id', l.id,
          'share_cap', ${shareCapSql(sql`i.org_id`, sql`l`, sql`cv`)}, 'type', c.type) order by i.id)
      from installs i
      ${asOf ? heldThen(asOf) : sql`join cube_versions cv on cv.id = i.version_id`}
      join cubes c on c.id = i.cube_id
      join organizations o on o.id = c.org_id
      join listings l on l.id = i.listing_id
      where i.vault_id = v.id
        and ${asOf ? liveThen(asOf) : sql`i.uninstalled_at is null and i.state = 'activated'`}
        and ${purposeLicensedSql(purposes)}
        and exists (select 1 from entitlements e where e.org_id = v.org_id and e.listing_id = i.listing_id
                      and e.revoked_at is null and e.state in ('active', 'trialing', 'past_due')
                      and (e.valid_until is null or e.valid_until > now()))), '[]'::json)`;
}

/** The version each install held at `asOf`, by its history. */
const heldThen = (asOf: Date) =>
  sql`join install_history h on h.install_id = i.id
        and h.from_at <= ${asOf.toISOString()}::timestamptz
        and (h.to_at is null or h.to_at > ${asOf.toISOString()}::timestamptz)
      join cube_versions cv on cv.id = h.version_id`;

/**
 * An install live at `asOf` (made by then, not yet removed) that may still serve now: one suspended
 * since (its entitlement lapsed, a critical yank) serves no past either.
 */
const liveThen = (asOf: Date) => {
  const at = sql`${asOf.toISOString()}::timestamptz`;
  return sql`i.created_at <= ${at} and (i.uninstalled_at is null or i.uninstalled_at > ${at}) and i.state <> 'suspended'`;
};

export function scopeFilters(
  vaultId: string,
  visible: readonly VisibleVersion[],
  filter: SearchInput["filter"],
  wantInstalls: boolean,
  /** Every ready version's chunks together: the index the HNSW path would walk. */
  storeChunks = 0,
  /** The instant the vault is searched as of; now when left out. */
  asOf?: Date,
): Scope {
  // As text: the index plan writes its statement out with literals (see queryRowsWithSettings).
  const at = asOf ? sql`${asOf.toISOString()}::timestamptz` : sql`now()`;
  const tags = filter.tags;
  const cubeIds = filter.cube_ids;
  // One result per chunk: a version installed twice in a vault is searched once.
  const byVersion = new Map<string, VisibleVersion>();
  for (const v of visible) {
    if (cubeIds && !cubeIds.includes(v.cube_id)) continue;
    if (!byVersion.has(v.version_id)) byVersion.set(v.version_id, v);
  }
  const versions = wantInstalls ? [...byVersion.values()] : [];
  const chunks = versions.reduce((n, v) => n + v.chunks, 0);
  return {
    versions,
    chunkWhere: sql.join(
      [
        sql`ch.version_id = any(${toTextArray(versions.map((v) => v.version_id))})`,
        sql`(ch.valid_from is null or ch.valid_from <= ${at}) and (ch.valid_until is null or ch.valid_until > ${at})`,
        tags ? sql`ch.tags && ${toTextArray(tags)}` : sql`true`,
      ],
      sql` and `,
    ),
    memoryWhere: sql.join(
      [
        asOf
          ? memoryReadThen(vaultId, asOf)
          : sql`m.vault_id = ${vaultId} and m.is_current and m.state = 'active'`,
        sql`(m.expires_at is null or m.expires_at > ${at})`,
        tags ? sql`m.tags && ${toTextArray(tags)}` : sql`true`,
        // Own memories belong to no cube: a cube filter leaves them out.
        cubeIds ? sql`false` : sql`true`,
      ],
      sql` and `,
    ),
    plan: chunks <= EXACT_SCAN_MAX_CHUNKS || chunks < storeChunks * EXACT_SCAN_MAX_SHARE ? "exact" : "index",
    indexChunks: Math.max(chunks, storeChunks),
  };
}

/**
 * The version of each memory that was current and active at `asOf`: written by then, not yet
 * replaced, not yet archived, expired or merged, its text not purged.
 */
const memoryReadThen = (vaultId: string, asOf: Date) => {
  const at = sql`${asOf.toISOString()}::timestamptz`;
  return sql`m.vault_id = ${vaultId} and m.created_at <= ${at}
      and (m.superseded_at is null or m.superseded_at > ${at})
      and (m.inactive_at is null or m.inactive_at > ${at}) and m.purged_at is null`;
};

const toTextArray = (values: string[]) =>
  sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;

export const CHUNK_COLUMNS = sql`ch.id, 'install' as source, ch.text, ch.heading, ch.position, ch.tags, ch.metadata,
  ch.version_id`;
export const MEMORY_COLUMNS = sql`m.memory_id as id, 'memory' as source, m.text, null as heading, null::int as position, m.tags, m.metadata,
  null as version_id`;

/** A hit as a side's statement returns it: the chunk's version, not yet its install and cube. */
export type Row = Omit<
  Hit,
  "cube_id" | "cube_slug" | "version" | "publisher" | "install_id" | "canaries" | "marks"
>;

/** The rows of one side, with the install, cube and listing of the version each chunk came from. */
export function withVersions(scope: Scope, rows: Row[]): Hit[] {
  const byId = new Map(scope.versions.map((v) => [v.version_id, v]));
  return rows.map((row) => {
    const v = row.version_id ? byId.get(row.version_id) : undefined;
    return {
      ...row,
      cube_id: v?.cube_id ?? null,
      cube_slug: v?.cube_slug ?? null,
      version: v?.version ?? null,
      publisher: v?.publisher ?? null,
      install_id: v?.install_id ?? null,
      canaries: v?.canaries ?? false,
      marks: v?.marks ?? "off",
    };
  });
}

/**
 * The k nearest by cosine among the vault's chunks and the organisation's own memories. With the
 * exact plan both sides are one statement (one round trip; the query vector sent once); with the
 * index plan the chunk side runs under its settings (one round trip), beside the memories' side.
 * Rows as stored: the caller attaches their versions (`withVersions`) to the few it keeps.
 */
export async function vectorHits(
  db: Db,
  scope: Scope,
  dimension: number,
  vector: Float32Array,
  k: number,
): Promise<Row[]> {
  if (scope.plan === "exact" || scope.versions.length === 0) {
    return queryRowsPrepared<Row>(db, exactVectorStatement(scope, dimension, vector, k));
  }
  const memories = queryRows<Row>(
    db,
    memoryVectorStatement(scope, dimension, cosineDistance("m.embedding", dimension, vector), k),
  );
  const [chunkRows, memoryRows] = await Promise.all([
    chunkVectorHits(db, scope, dimension, vector, k),
    memories,
  ]);
  return [...chunkRows, ...memoryRows].sort((a, b) => b.rank_value - a.rank_value).slice(0, k);
}

/** The memories' side: one organisation's own memories, in the order the planner picks. */
function memoryVectorStatement(scope: Scope, dimension: number, distance: SQL, k: number): SQL {
  return sql`select ${MEMORY_COLUMNS}, 1 - ${distance} as rank_value from memories m
      where ${scope.memoryWhere} and m.embedding_dim = ${dimension}
      order by ${distance} limit ${k}`;
}

/**
 * Both sides of a vector search under the exact plan as one statement: the query vector bound once
 * (an InitPlan every distance reads), the vault's chunks scanned exactly behind the fence, the
 * memories' top k, merged. Exported so a test can EXPLAIN exactly this.
 */
export function exactVectorStatement(scope: Scope, dimension: number, vector: Float32Array, k: number): SQL {
  const d = Math.trunc(dimension);
  const q = sql`(select v from q)`;
  const distance = (column: string) => sql`(${sql.raw(`${column}::vector(${d})`)} <=> ${q})`;
  const chunkSide =
    scope.versions.length > 0
      ? sql`(select * from (select ${CHUNK_COLUMNS}, 1 - ${distance("ch.embedding")} as rank_value from chunks ch
            where ${scope.chunkWhere} and ch.embedding_dim = ${dimension} offset 0) ch
          order by rank_value desc limit ${k}) union all `
      : sql``;
  return sql`with q as (select ${toVectorLiteral(vector)}::${sql.raw(`vector(${d})`)} as v)
    select * from (${chunkSide}(${memoryVectorStatement(scope, dimension, distance("m.embedding"), k)})) hits
    order by rank_value desc limit ${k}`;
}

/** The chunk side under the index plan (the exact plan's is part of `exactVectorStatement`). */
async function chunkVectorHits(db: Db, scope: Scope, dimension: number, vector: Float32Array, k: number) {
  const { settings, query } = chunkVectorStatement(scope, dimension, vector, k);
  if (!settings) return queryRowsPrepared<Row>(db, query);
  // Planned afresh with its values, not prepared: under its settings the prepared statement's
  // generic plan walked the same HNSW index 3–5× slower (bench/search at 1M chunks: p50 12–15 ms
  // against 3–4 ms), and planning it costs a fraction of a millisecond. One round trip.
  return queryRowsWithSettings<Row>(db, settings, query);
}

/**
 * The chunk side of a vector search as the scope's plan has it: the statement, and the settings to
 * run it under (local to its transaction: `setLocal`), or null. Exported so a test can EXPLAIN
 * exactly this.
 */
export function chunkVectorStatement(scope: Scope, dimension: number, vector: Float32Array, k: number) {
  const distance = cosineDistance("ch.embedding", dimension, vector);
  const where = sql`${scope.chunkWhere} and ch.embedding_dim = ${dimension}`;
  if (scope.plan === "exact") {
    // The fence (offset 0) keeps the ordering out of the scan: the vault's chunks are read by their
    // version, every distance computed, and the top k sorted out — never the HNSW index.
    return {
      settings: null,
      query: sql`select * from (select ${CHUNK_COLUMNS}, 1 - ${distance} as rank_value from chunks ch
            where ${where} offset 0) ch order by rank_value desc limit ${k}`,
    };
  }
  // The HNSW index, the versions as a filter: with sorting disabled no plan reads the versions'
  // chunks to sort them; the iterative scan (relaxed order, see @memstore/db) goes on until k pass
  // the filter, and the outer sort restores the exact order among them.
  return {
    settings: { "hnsw.ef_search": String(efSearchFor(k, scope.indexChunks)), enable_sort: "off" },
    query: sql`with hits as materialized (select ${CHUNK_COLUMNS}, ${distance} as distance from chunks ch
            where ${where} order by ${distance} limit ${k})
          select id, source, text, heading, position, tags, metadata, version_id, 1 - distance as rank_value
          from hits order by distance`,
  };
}

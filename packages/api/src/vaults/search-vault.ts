import { AppError, fuseByReciprocalRank, notFound, type Subject } from "@memstore/core";
import { type Executor, queryRows, SESSION_EF_SEARCH, sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { type z } from "zod";
import type { AppContext } from "../context.ts";
import { authorize } from "../identity/authorize.ts";
import { cosineDistance, KEYWORD_CANDIDATES, keywordQueries } from "../search/query.ts";
import { meterSql } from "../usage/meter.ts";
import {
  canaryForChunk,
  canaryKey,
  embedFingerprint,
  fingerprintCode,
  withCanary,
} from "@memstore/watermark";
import { type QuotaExceeded, quotaError, quotaExceededSql } from "../usage/quota.ts";
import { searchInput } from "./schemas.ts";

export { searchInput };

export type SearchInput = z.infer<typeof searchInput>;

export type SearchResult = {
  id: string;
  text: string;
  score: number;
  source: "install" | "memory";
  cube?: { id: string; slug: string; version: string; publisher: string; install_id: string };
  metadata: Record<string, unknown>;
};

type Hit = {
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
  rank_value: number;
};

/** Each side of the fusion looks this far down its own ranking; a single side needs only top_k. */
const candidatesFor = (input: SearchInput) =>
  input.mode === "hybrid" ? Math.max(50, input.top_k * 5) : input.top_k;

/** HNSW ef_search: at least 100 (recall@10 ≥ 0.95 at 1M chunks, see bench/search), twice the candidates. */
const efSearchFor = (k: number) => Math.min(1000, Math.max(100, k * 2));

/**
 * Hybrid search over a vault: the shared chunks of its installed versions and the organisation's own
 * memories, by pgvector HNSW cosine and by Postgres full-text, fused by reciprocal rank. The two
 * sides run at once, on their own connections.
 */
export async function searchVault(ctx: AppContext, subject: Subject, vaultId: string, input: SearchInput) {
  // The key's vault binding is judged on the vault asked for, before the search meters anything.
  authorize(subject, "vault.search", { vaultId });
  const dimension = ctx.embedder.dimension;
  const vault = await admitSearch(ctx.db, subject, vaultId, dimension);
  authorize(subject, "vault.search", { orgId: vault.org_id, vaultId: vault.id });
  if (vault.embedding_dim !== null && vault.embedding_dim !== dimension) {
    throw new AppError(
      "dimension_mismatch",
      `vault '${vault.name}' holds ${vault.embedding_dim}-dimensional embeddings but this server embeds queries with ${ctx.embedder.model} (${dimension})`,
    );
  }
  const wantInstalls = !input.filter.types || input.filter.types.includes("plaintext");
  const k = candidatesFor(input);
  const scope = scopeFilters(vault.id, input.filter);

  const [vectorList, keywordList] = await Promise.all([
    input.mode === "keyword"
      ? null
      : ctx.embedder
          .embed([input.query])
          .then(([vector]) => vectorHits(ctx.db, scope, dimension, vector!, k, wantInstalls)),
    input.mode === "vector" ? null : keywordHitsAllThenAny(ctx.db, scope, input.query, k, wantInstalls),
  ]);
  const fused =
    vectorList && keywordList
      ? fuseByReciprocalRank(
          [vectorList, keywordList].map((list) => list.map((h) => ({ key: h.id, item: h }))),
        ).map((f) => ({ hit: f.item, score: f.score }))
      : (vectorList ?? keywordList!).map((h) => ({ hit: h, score: h.rank_value }));
  const marking = markingFor(ctx, subject.orgId);
  const results = fused.slice(0, input.top_k).map(({ hit, score }) => toResult(hit, score, marking));
  return { results };
}

/** How installed text is marked for one organisation: its fingerprint code per version, canary keys per install. */
type Marking = { fingerprint(versionId: string): number; canaryKey(installId: string): Buffer };

function markingFor(ctx: AppContext, orgId: string): Marking {
  const codes = new Map<string, number>();
  const keys = new Map<string, Buffer>();
  return {
    fingerprint: (versionId) => {
      let code = codes.get(versionId);
      if (code === undefined)
        codes.set(versionId, (code = fingerprintCode(ctx.keys.secret, orgId, versionId)));
      return code;
    },
    canaryKey: (installId) => {
      let key = keys.get(installId);
      if (key === undefined) keys.set(installId, (key = canaryKey(ctx.keys.secret, installId)));
      return key;
    },
  };
}

/**
 * The caller's vault with its live installs, and the call counted against them, in one statement.
 * Another organisation's vault is a 404; a listing whose terms' calls for today are used up refuses the
 * search (429) and the call is not counted, nor is one refused for its dimension.
 */
async function admitSearch(db: Executor, subject: Subject, vaultId: string, dimension: number) {
  const now = new Date();
  const live = sql`i.vault_id = v.id and i.uninstalled_at is null`;
  const [row] = await queryRows<{
    id: string;
    org_id: string;
    name: string;
    embedding_dim: number | null;
    install_ids: string[];
    over_quota: QuotaExceeded | null;
  }>(
    db,
    sql`with v as (
          select v.id, v.org_id, v.name, v.embedding_dim,
            array(select i.id from installs i where ${live} order by i.id) as install_ids,
            ${quotaExceededSql(live, now)} as over_quota
          from vaults v where v.id = ${vaultId} and v.org_id = ${subject.orgId}
        ), counted as (
          ${meterSql(
            subject,
            now,
            sql`select coalesce(install_id, ''), 1, 0 from v left join unnest(v.install_ids) as install_id on true
              where v.over_quota is null and (v.embedding_dim is null or v.embedding_dim = ${dimension})`,
          )}
        )
        select * from v`,
  );
  if (!row) notFound("vault");
  if (row.over_quota) throw quotaError(row.over_quota, now);
  return row;
}

type Scope = { chunkWhere: SQL; memoryWhere: SQL };

function scopeFilters(vaultId: string, filter: SearchInput["filter"]): Scope {
  const tags = filter.tags;
  const cubeIds = filter.cube_ids;
  return {
    chunkWhere: sql.join(
      [
        sql`i.vault_id = ${vaultId} and i.uninstalled_at is null and i.state = 'activated'`,
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
  l.canaries`;
const CHUNK_FROM = sql`installs i
  join cube_versions v on v.id = i.version_id
  join chunks ch on ch.version_id = i.version_id
  join cubes c on c.id = ch.cube_id
  join organizations o on o.id = c.org_id
  join listings l on l.id = i.listing_id`;
const MEMORY_COLUMNS = sql`m.memory_id as id, 'memory' as source, m.text, null as heading, null::int as position, m.tags, m.metadata,
  null as cube_id, null as cube_slug, null as version_id, null as version, null as publisher, null as install_id,
  false as canaries`;

async function vectorHits(
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
  const query = sql`${wantInstalls ? sql`(${chunkHits}) union all ` : sql``}(${memoryHits}) order by rank_value desc limit ${k}`;
  const efSearch = efSearchFor(k);
  // The session's ef_search (see SESSION_EF_SEARCH) serves most searches without a transaction.
  if (efSearch <= SESSION_EF_SEARCH) return queryRows<Hit>(db, query);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('hnsw.ef_search', ${String(efSearch)}, true)`);
    return queryRows<Hit>(tx, query);
  });
}

/** Documents holding every word first; if fewer than k, topped up from those holding any word. */
async function keywordHitsAllThenAny(
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

async function keywordHits(db: Executor, scope: Scope, tsq: string, k: number, wantInstalls: boolean) {
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
    sql`${wantInstalls ? sql`(${chunkHits}) union all ` : sql``}(${memoryHits}) order by rank_value desc, id limit ${k}`,
  );
}

/**
 * A search result. Installed text goes out as this organisation's fingerprinted copy (see
 * @memstore/watermark): the stored chunks stay shared and clean, every copy served is traceable.
 */
function toResult(hit: Hit, score: number, marking: Marking): SearchResult {
  const metadata: Record<string, unknown> = { ...hit.metadata, tags: hit.tags };
  if (hit.heading) metadata.heading = hit.heading;
  if (hit.position !== null) metadata.position = hit.position;
  return {
    id: hit.id,
    text: hit.source === "install" ? servedText(hit, marking) : hit.text,
    score: Number(score),
    source: hit.source,
    ...(hit.source === "install"
      ? {
          cube: {
            id: hit.cube_id!,
            slug: hit.cube_slug!,
            version: hit.version!,
            publisher: hit.publisher!,
            install_id: hit.install_id!,
          },
        }
      : {}),
    metadata,
  };
}

/** An installed chunk as this install receives it: with its canary, if the listing serves them, then marked. */
function servedText(hit: Hit, marking: Marking): string {
  const canary = hit.canaries ? canaryForChunk(marking.canaryKey(hit.install_id!), hit.id) : null;
  const text = canary ? withCanary(hit.text, canary) : hit.text;
  return embedFingerprint(text, marking.fingerprint(hit.version_id!));
}

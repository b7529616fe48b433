import { AppError, callPurposes, notFound, type Subject } from "@memstore/core";
import { type Db, type Executor, queryRowsPrepared, sql } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { meter, meterSql } from "../usage/meter.ts";
import { claimLicensedCall, type LicensedListing, licensedListingsSql } from "../usage/license-rate.ts";
import { claimShare } from "../usage/share-cap.ts";
import { type SearchInput, searchInput } from "./schemas.ts";
import { type Marking, markingFor, servedText } from "../watermarking/served-text.ts";
import { candidatesFor, rankedHits } from "./ranked-hits.ts";
import {
  type Hit,
  purposeLicensedSql,
  type Row,
  type Scope,
  withVersions,
  scopeFilters,
  type VisibleVersion,
  visibleVersionsSql,
} from "./queries.ts";

export { searchInput };

/**
 * Under a share cap a search ranks this many times top_k: a result the cap leaves out gives its
 * place to the next within that depth. The claim's cost grows with the candidates it judges
 * (bench:store), and results from far down the ranking serve an agent little.
 */
const SHARE_CAP_DEPTH = 2;

export type SearchResult = {
  id: string;
  text: string;
  score: number;
  source: "install" | "memory";
  cube?: { id: string; slug: string; version: string; publisher: string; install_id: string };
  metadata: Record<string, unknown>;
};

/**
 * Hybrid search over a vault: the shared chunks of its installed versions and the organisation's own
 * memories, by pgvector HNSW cosine and by Postgres full-text, fused by reciprocal rank. The two
 * sides run at once, on their own connections.
 */
export async function searchVault(ctx: AppContext, subject: Subject, vaultId: string, input: SearchInput) {
  const { vault, scope, asOf } = await admittedSearch(ctx, subject, vaultId, input);
  const k = candidatesFor(input);
  // Under a share cap some candidates may be left out: the search ranks more, for others to fill in.
  const rows = underShareCap(scope) ? Math.min(k, input.top_k * SHARE_CAP_DEPTH) : input.top_k;
  const ranked = (await rankedHits(ctx, scope, input, k, rows)).slice(0, rows);
  const { results, hits, overCap } = await served(ctx, subject.orgId, scope, ranked, input.top_k);
  // What agents use keeps memories warm (retention archives the unused); a look at the past does not.
  if (!asOf) ctx.heat.note(vault.id, hits);
  // Installs whose terms license other purposes are left out, those whose share cap left a result
  // out are named, and the answer says which.
  return { results, excluded: exclusions(vault.excluded, overCap) };
}

/** Whether a listing the search covers sets a share cap (then its results are claimed). */
const underShareCap = (scope: Scope) => scope.versions.some((v) => v.share_cap !== null);

/** The ranked hits served as results: up to `topK`, those the share caps let through. */
async function served(
  ctx: AppContext,
  orgId: string,
  scope: Scope,
  ranked: Array<{ hit: Row; score: number }>,
  topK: number,
) {
  const { kept, overCap } = await withinShareCaps(ctx.db, orgId, scope, ranked, topK);
  const marking = markingFor(ctx, orgId);
  // Versions, cubes and installs are attached to the results kept, not to every candidate.
  const hits = withVersions(
    scope,
    kept.map((i) => ranked[i]!.hit),
  );
  return { results: kept.map((i, j) => toResult(hits[j]!, ranked[i]!.score, marking)), hits, overCap };
}

/** What an answer says it left out: installs whose terms license other purposes, and those a share cap cut. */
export const exclusions = (unlicensed: readonly string[], overCap: readonly string[]) => [
  ...unlicensed.map((installId) => ({ install_id: installId, code: "purpose_not_licensed" as const })),
  ...overCap.map((installId) => ({ install_id: installId, code: "share_cap" as const })),
];

/**
 * A call that reads the vault's memory (a search, a context), admitted: the key's binding judged,
 * the call metered (claimed against the terms that limit calls, all or none), and what it covers —
 * the versions its installs serve now (or held at `as_of`) and the memories — as a scope.
 */
export async function admittedSearch(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: Pick<SearchInput, "filter" | "as_of">,
) {
  // The key's vault binding is judged on the vault asked for, before the search meters anything.
  authorize(subject, "vault.search", { vaultId });
  const dimension = ctx.embedder.dimension;
  const purposes = callPurposes(subject);
  const now = new Date();
  const asOf = input.as_of ? new Date(input.as_of) : undefined;
  const vault = await admitSearch(ctx.db, subject, vaultId, { purposes, dimension, now, asOf });
  authorize(subject, "vault.search", { orgId: vault.org_id, vaultId: vault.id });
  if (vault.embedding_dim !== null && vault.embedding_dim !== dimension) {
    throw new AppError(
      "dimension_mismatch",
      `vault '${vault.name}' holds ${vault.embedding_dim}-dimensional embeddings but this server embeds queries with ${ctx.embedder.model} (${dimension})`,
    );
  }
  // Listings with a daily call limit (or priced by use): the call is claimed against each, and
  // metered, all or none, before the search. Otherwise the admission has metered it already.
  if (vault.licensed.length > 0) {
    const installs = vault.install_ids.map((installId) => ({ installId }));
    await claimLicensedCall(ctx.db, subject.orgId, vault.licensed, now, (tx) =>
      meter(tx, subject, installs, now),
    );
  }
  const wantInstalls = !input.filter.types || input.filter.types.includes("plaintext");
  const scope = scopeFilters(vault.id, vault.visible, input.filter, wantInstalls, vault.store_chunks, asOf);
  return { vault, scope, asOf };
}

/**
 * Which of the ranked hits to serve (their indexes, up to `topK`), within the share caps of the
 * organisation's listings (see usage/share-cap.ts), and the installs whose cap left a result out.
 */
async function withinShareCaps(
  db: Db,
  orgId: string,
  scope: Scope,
  ranked: Array<{ hit: Row; score: number }>,
  topK: number,
) {
  const byVersion = new Map(scope.versions.map((v) => [v.version_id, v]));
  const versionOf = (hit: Row) => (hit.version_id ? byVersion.get(hit.version_id) : undefined);
  const claim = await claimShare(
    db,
    orgId,
    ranked.map(({ hit }) => ({
      chunk_id: hit.id,
      listing_id: versionOf(hit)?.listing_id ?? null,
      cap: versionOf(hit)?.share_cap ?? null,
    })),
    topK,
  );
  const installOf = new Map(scope.versions.map((v) => [v.listing_id, v.install_id]));
  return {
    kept: claim.kept,
    overCap: claim.capped.map((listingId) => installOf.get(listingId)!),
  };
}

/**
 * The caller's vault with its live installs, the listings among them whose terms limit calls per
 * day, and the versions the search covers with their chunk counts, in one statement that also
 * meters the call (one round trip) — unless a listing's terms limit calls, when the call is claimed
 * and metered together after this, or the vault's dimension refuses it (not counted). Another
 * organisation's vault is a 404.
 *
 * That count is committed asynchronously (Postgres's `synchronous_commit = off` for this statement
 * alone): waiting for the WAL flush was most of the admission's time (bench/search at 1M chunks,
 * same process: p50 1.15 → 0.72 ms, p95 3.7 → 1.3 ms; bench/load's throughput did not move:
 * 332 against 340 searches/s). What it risks is the last ≤ 600 ms of plain call counts if the
 * database server itself crashes (wal_writer_delay × 3), never an inconsistent row; calls that
 * terms limit or price are claimed by `claimLicensedCall`, durably.
 */
async function admitSearch(
  db: Executor,
  subject: Subject,
  vaultId: string,
  call: { purposes: readonly string[]; dimension: number; now: Date; asOf: Date | undefined },
) {
  const { purposes, dimension, now } = call;
  const installed = sql`i.vault_id = v.id and i.uninstalled_at is null`;
  // Only the installs that serve this call count against their terms' limits and are metered.
  const live = sql`${installed} and ${purposeLicensedSql(purposes)}`;
  const [row] = await queryRowsPrepared<{
    id: string;
    org_id: string;
    name: string;
    embedding_dim: number | null;
    install_ids: string[];
    excluded: string[];
    licensed: LicensedListing[];
    visible: VisibleVersion[];
    store_chunks: number;
  }>(
    db,
    sql`with v as (
          select v.id, v.org_id, v.name, v.embedding_dim,
            array(select i.id from installs i where ${live} order by i.id) as install_ids,
            array(select i.id from installs i where ${installed} and i.state = 'activated'
                    and not ${purposeLicensedSql(purposes)} order by i.id) as excluded,
            ${licensedListingsSql(live)} as licensed,
            ${visibleVersionsSql(purposes, call.asOf)} as visible,
            (select coalesce(sum(chunk_count), 0)::int from cube_versions where status = 'ready') as store_chunks
          from vaults v where v.id = ${vaultId} and v.org_id = ${subject.orgId}
        ),
        metered as (${meterSql(
          subject,
          now,
          sql`select install_id, 1, 0::bigint from v,
                unnest(case when cardinality(v.install_ids) > 0 then v.install_ids else array['']::text[] end) as install_id
              where (v.embedding_dim is null or v.embedding_dim = ${dimension}) and json_array_length(v.licensed) = 0`,
        )})
        -- The count commits without waiting for its WAL to reach the disk: a server crash may lose
        -- the last fraction of a second of plain counts (never a claim against terms, made apart).
        select * from v where set_config('synchronous_commit', 'off', true) is not null`,
  );
  if (!row) notFound("vault");
  return row;
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

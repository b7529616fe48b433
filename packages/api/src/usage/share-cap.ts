import { type Db, queryRows, queryRowsPrepared, sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { effectiveTermsSql } from "./license-rate.ts";

/**
 * Share caps: a listing's terms may set `max_share_per_day`, and then the distinct chunks one
 * organisation receives of it in any 24 hours — through every install, vault, key, search, MCP call
 * and export — stay at or under the cap (⌈x × the version's chunks⌉). A chunk received in the window
 * is served again freely; a new one is served only while the count is under the cap.
 *
 * Exact under concurrency: the claims of one organisation on one listing take turns behind a lock
 * held until commit, and each reads the window, decides and records in one statement — both in
 * one call of the database function `share_claim` (migration 0030), one round trip. A claim counts
 * the window by the receipts that left it since the claim before (`share_windows`), never all of it.
 */

/**
 * ⌈max_share_per_day × the version's chunks⌉ under the terms organisation `org` holds `listing` by,
 * for `version` (row aliases); null where the terms set no cap. In numeric, so 0.1 × 30 is 3.
 */
export function shareCapSql(org: SQL, listing: SQL, version: SQL): SQL {
  return sql`ceil((${effectiveTermsSql(org, listing)}->>'max_share_per_day')::numeric
                  * coalesce(${version}.chunk_count, 0))::int`;
}

/** A result a call would serve, best first: a capped listing's chunk, or anything else (`listing_id` null). */
export type ShareCandidate = { chunk_id: string; listing_id: string | null; cap: number | null };

/** What a claim served: the candidates kept (their indexes, best first) and the capped listings that lost one. */
export type ShareClaim = { kept: number[]; capped: string[] };

/** Whether any of these candidates is a chunk of a capped listing (else nothing needs claiming). */
export const anyCapped = (candidates: readonly ShareCandidate[]) =>
  candidates.some((c) => c.listing_id !== null && c.cap !== null);

/**
 * Keeps up to `limit` of the candidates, best first, leaving out each capped chunk that would take
 * its listing's window over the cap, and records the capped chunks kept as received now. A listing
 * is named in `capped` when one of its chunks was left out where it would otherwise have been
 * served (ranked above the last result kept, or the results fell short of `limit`).
 */
export async function claimShare(
  db: Db,
  orgId: string,
  candidates: readonly ShareCandidate[],
  limit: number,
): Promise<ShareClaim> {
  if (!anyCapped(candidates)) return { kept: candidates.slice(0, limit).map((_, i) => i), capped: [] };
  const capped = candidates.map((c) => (c.cap === null ? { ...c, listing_id: null } : c));
  // One round trip, one row: the database function takes the locks, then claims (migration 0030).
  const [row] = await queryRowsPrepared<ShareClaim>(
    db,
    sql`select kept, capped from share_claim(${orgId}, ${sql.param(capped.map((c) => c.chunk_id))}::text[],
          ${sql.param(capped.map((c) => c.listing_id))}::text[], ${sql.param(capped.map((c) => c.cap))}::int[],
          ${limit}::int)`,
  );
  return row ?? { kept: [], capped: [] };
}

/**
 * A whole version taken at once (an export) under its listing's cap: the chunks in the window, and
 * new ones in reading order while they fit, recorded as received now. Returns how many of the
 * version's chunks may be served and how many it holds; the caller reads the ones recorded.
 */
export async function claimVersionShare(
  db: Db,
  at: { orgId: string; listingId: string; versionId: string; cap: number },
): Promise<{ served: number; chunks: number }> {
  const [row] = await queryRows<{ served: number; chunks: number }>(
    db,
    sql`with v as (select array(select id from chunks where version_id = ${at.versionId} order by position) as ids)
        select cardinality(c.kept) as served, cardinality(v.ids) as chunks
        from v, share_claim(${at.orgId}, v.ids,
          array_fill(${at.listingId}::text, array[cardinality(v.ids)]),
          array_fill(${at.cap}::int, array[cardinality(v.ids)]), null) as c`,
  );
  return row ?? { served: 0, chunks: 0 };
}

/**
 * Deletes the receipts every window has already let go of (older than a day before its last
 * claim): they count for nothing, and no claim's count will look for them again (a sweep; claims
 * never need it).
 */
export async function sweepShareReceipts(db: Db): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`with gone as (delete from share_receipts r using share_windows s
          where s.org_id = r.org_id and s.listing_id = r.listing_id
            and r.received_at <= s.checked_at - interval '24 hours' returning 1)
        select count(*)::int as n from gone`,
  );
  return rows[0]?.n ?? 0;
}

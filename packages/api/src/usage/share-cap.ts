import { type Db, lockUntilCommit, queryRows, sql, type Tx } from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { effectiveTermsSql } from "./license-rate.ts";

/**
 * Share caps: a listing's terms may set `max_share_per_day`, and then the distinct chunks one
 * organisation receives of it in any 24 hours — through every install, vault, key, search, MCP call
 * and export — stay at or under the cap (⌈x × the version's chunks⌉). A chunk received in the window
 * is served again freely; a new one is served only while the count is under the cap.
 *
 * Exact under concurrency: the claims of one organisation on one listing take turns behind a lock
 * held until commit, and each reads the window, decides and records in one statement.
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
  const listings = [...new Set(capped.flatMap((c) => (c.listing_id ? [c.listing_id] : [])))];
  const wanted = sql`select chunk_id, listing_id, cap, (n - 1)::int as n
      from unnest(${sql.param(capped.map((c) => c.chunk_id))}::text[],
                  ${sql.param(capped.map((c) => c.listing_id))}::text[],
                  ${sql.param(capped.map((c) => c.cap))}::int[]) with ordinality as w(chunk_id, listing_id, cap, n)`;
  const rows = await underLocks(db, orgId, listings, (tx) =>
    queryRows<{ n: number; allowed: boolean; kept: boolean }>(
      tx,
      claimStatement(orgId, wanted, limit, sql`select n, allowed, kept from judged order by n`),
    ),
  );
  const kept = rows.filter((r) => r.kept).map((r) => r.n);
  const last = kept.at(-1) ?? -1;
  const short = kept.length < limit;
  const lost = rows.filter((r) => !r.allowed && (short || r.n < last)).map((r) => capped[r.n]!.listing_id!);
  return { kept, capped: [...new Set(lost)] };
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
  const { orgId, listingId, versionId, cap } = at;
  const wanted = sql`select id as chunk_id, ${listingId}::text as listing_id, ${cap}::int as cap,
        (row_number() over (order by position) - 1)::int as n
      from chunks where version_id = ${versionId}`;
  const counts = sql`select (count(*) filter (where allowed))::int as served, count(*)::int as chunks from judged`;
  const [row] = await underLocks(db, orgId, [listingId], (tx) =>
    queryRows<{ served: number; chunks: number }>(tx, claimStatement(orgId, wanted, null, counts)),
  );
  return row ?? { served: 0, chunks: 0 };
}

/**
 * Runs `claim` in a transaction holding the share locks of the organisation's listings, taken in id
 * order (two claims over the same listings never wait on each other in a circle). The transaction
 * commits without waiting for its WAL to reach the disk (as the search's call count does): a
 * database crash may forget the receipts of its last fraction of a second, window and count
 * together, never one without the other.
 */
async function underLocks<T>(db: Db, orgId: string, listingIds: string[], claim: (tx: Tx) => Promise<T>) {
  const keys = listingIds.map((l) => `share:${orgId}:${l}`).sort();
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select count(pg_advisory_xact_lock(hashtextextended(k, 0))), set_config('synchronous_commit', 'off', true)
          from unnest(${sql.param(keys)}::text[]) as k`,
    );
    return claim(tx);
  });
}

/**
 * The claim as one statement, under the caller's locks. `wanted` lists the candidates
 * (`chunk_id, listing_id, cap, n`: best or first at n = 0; listing null for what is not capped).
 * Each capped listing's count of held chunks is brought up to the claim's instant (the receipts
 * that left the window since its last claim taken away); a candidate is allowed when it is in the
 * window, or when the new ones up to it still fit under the cap; the first `limit` allowed (all
 * with null) are kept; the capped ones among them are recorded as received at that instant, and the
 * count moves on by the new ones. `result` reads `judged` (`n, allowed, kept`).
 */
function claimStatement(orgId: string, wanted: SQL, limit: number | null, result: SQL): SQL {
  const day = sql`interval '24 hours'`;
  return sql`with w as materialized (${wanted}),
      listed as (select distinct listing_id from w where listing_id is not null),
      prior as (
        select l.listing_id, coalesce(s.held, 0) as held, s.checked_at from listed l
        left join share_windows s on s.org_id = ${orgId} and s.listing_id = l.listing_id),
      clock as (select greatest(clock_timestamp(), (select max(checked_at) from prior)) as t),
      used as (
        select p.listing_id, p.held - (
            select count(*) from share_receipts r, clock
            where r.org_id = ${orgId} and r.listing_id = p.listing_id
              and r.received_at > p.checked_at - ${day} and r.received_at <= clock.t - ${day})::int as n
        from prior p),
      judged0 as (
        select w.n, w.chunk_id, w.listing_id, h.chunk_id is null and w.listing_id is not null as fresh,
          w.listing_id is null or h.chunk_id is not null
            or u.n + count(*) filter (where h.chunk_id is null)
                 over (partition by w.listing_id order by w.n) <= w.cap as allowed
        from w cross join clock
        left join share_receipts h on h.org_id = ${orgId} and h.listing_id = w.listing_id
          and h.chunk_id = w.chunk_id and h.received_at > clock.t - ${day}
        left join used u on u.listing_id = w.listing_id),
      taken as (select n from judged0 where allowed order by n ${limit === null ? sql`` : sql`limit ${limit}`}),
      judged as materialized (select j.*, j.n in (select n from taken) as kept from judged0 j),
      recorded as (
        insert into share_receipts (org_id, listing_id, chunk_id, received_at)
        select ${orgId}, listing_id, chunk_id, clock.t from judged, clock where kept and listing_id is not null
        on conflict (org_id, listing_id, chunk_id) do update set received_at = excluded.received_at),
      counted as (
        insert into share_windows (org_id, listing_id, held, checked_at)
        select ${orgId}, u.listing_id,
          u.n + (select count(*) from judged j where j.kept and j.fresh and j.listing_id = u.listing_id)::int,
          clock.t
        from used u, clock
        on conflict (org_id, listing_id) do update set held = excluded.held, checked_at = excluded.checked_at)
      ${result}`;
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

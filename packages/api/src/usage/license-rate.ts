import { AppError } from "@memstore/core";
import { type Db, queryRows, sql, type Tx } from "@memstore/db";
import type { SQL } from "drizzle-orm";

/** Seconds until the next UTC midnight, when daily call counts start again. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

/**
 * A listing whose calls an organisation's agents make are counted per UTC day: its terms cap them
 * (`limit`), or it is usage-priced and the count is what is billed (`limit` null: counted, not capped).
 */
export type LicensedListing = { listing_id: string; slug: string; limit: number | null };

/**
 * The terms under which organisation `org` holds listing `l` (a row alias): those of the private
 * offer its latest entitlement was acquired under, if that offer has terms of its own, else the
 * listing's.
 */
export function effectiveTermsSql(org: SQL, listing: SQL): SQL {
  return sql`coalesce((select o.terms from entitlements te left join offers o on o.id = te.offer_id
                        where te.org_id = ${org} and te.listing_id = ${listing}.id
                        order by te.created_at desc limit 1), ${listing}.terms)`;
}

/**
 * The listings among the live installs matching `installs` (a condition on `i`) whose calls are
 * counted — a `calls_per_day` in the terms that apply, or usage pricing — as a JSON array ordered by
 * id: a subquery, so a caller reads it in the statement it runs.
 */
export function licensedListingsSql(installs: SQL): SQL {
  return sql`coalesce((
      select json_agg(json_build_object('listing_id', x.id, 'slug', x.slug, 'limit', x.lim) order by x.id)
      from (select l.id, c.slug, (${effectiveTermsSql(sql`i.org_id`, sql`l`)}->>'calls_per_day')::int as lim,
                   l.pricing->>'model' as model
            from (select distinct i.listing_id, i.cube_id, i.org_id from installs i where ${installs}) i
            join listings l on l.id = i.listing_id
            join cubes c on c.id = i.cube_id) x
      where x.lim is not null or x.model = 'usage'), '[]'::json)`;
}

/** The counted listings of one install (see licensedListingsSql): what a download claims a call against. */
export async function licensedListingsOfInstall(db: Db | Tx, at: { installId: string }) {
  const [row] = await queryRows<{ licensed: LicensedListing[] }>(
    db,
    sql`select ${licensedListingsSql(sql`i.id = ${at.installId}`)} as licensed`,
  );
  return row?.licensed ?? [];
}

/**
 * Counts one call against each listing's `calls_per_day` for the organisation today (UTC): all of
 * them, or none and a 429 `license_rate` naming the listing whose calls are used up. Each counter
 * rises only while under its limit, in one statement whose row locks make concurrent calls take
 * turns, so no call gets past a limit. `alongside` runs in the same transaction (the usage meter),
 * so a refused call is not counted anywhere.
 */
export async function claimLicensedCall(
  db: Db,
  orgId: string,
  listings: readonly LicensedListing[],
  now: Date,
  alongside: (tx: Tx) => Promise<unknown> = async () => {},
): Promise<void> {
  const day = now.toISOString().slice(0, 10);
  // In id order, so two calls lock shared counters in the same order and never deadlock.
  const ordered = [...listings].sort((a, b) => (a.listing_id < b.listing_id ? -1 : 1));
  await db.transaction(async (tx) => {
    if (ordered.length > 0) {
      const claimed = await queryRows<{ listing_id: string }>(
        tx,
        sql`insert into license_usage (org_id, listing_id, day, calls, call_limit)
            select ${orgId}, listing_id, ${day}, 1, lim
            from unnest(${sql.param(ordered.map((l) => l.listing_id))}::text[],
                        ${sql.param(ordered.map((l) => l.limit))}::int[]) as wanted(listing_id, lim)
            where lim is null or lim > 0
            on conflict (org_id, listing_id, day) do update
              set calls = license_usage.calls + 1, call_limit = excluded.call_limit
              where excluded.call_limit is null or license_usage.calls < excluded.call_limit
            returning listing_id`,
      );
      const counted = new Set(claimed.map((c) => c.listing_id));
      const exhausted = ordered.find((l) => !counted.has(l.listing_id));
      // Thrown inside the transaction: the counters it raised for the other listings fall back.
      if (exhausted) throw licenseRateError(exhausted, now);
    }
    await alongside(tx);
  });
}

/** 429 with when to retry: today's calls under a listing's terms are used up. */
function licenseRateError(exhausted: LicensedListing, now: Date): AppError {
  return new AppError(
    "license_rate",
    `the terms of '${exhausted.slug}' allow ${exhausted.limit} calls per day; today's are used up`,
    { listing_id: exhausted.listing_id, limit: exhausted.limit, retry_after: secondsUntilUtcMidnight(now) },
  );
}

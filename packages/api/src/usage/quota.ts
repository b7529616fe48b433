import { AppError } from "@memstore/core";
import { sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";

/** Seconds until the next UTC midnight, when daily call counts start again. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

export type QuotaExceeded = { listing_id: string; slug: string; limit: number };

/**
 * The listing terms' `calls_per_day`, as a subquery: the first install matching `installs` (a condition
 * on `i`) that has already been called that many times today (UTC) across all of the org's keys,
 * as JSON, or null. A subquery, so a caller can read it in the statement it already runs.
 */
export function quotaExceededSql(installs: SQL, now: Date): SQL {
  const day = now.toISOString().slice(0, 10);
  return sql`(select json_build_object('listing_id', l.id, 'slug', c.slug, 'limit', (l.terms->>'calls_per_day')::int)
      from installs i
      join listings l on l.id = i.listing_id
      join cubes c on c.id = i.cube_id
      where ${installs} and l.terms ? 'calls_per_day'
        and coalesce((select sum(u.calls) from usage_daily u where u.install_id = i.id and u.day = ${day}), 0)
            >= (l.terms->>'calls_per_day')::int
      order by l.id limit 1)`;
}

/** 429 with when to retry: today's calls under a listing's terms are used up. */
export function quotaError(exceeded: QuotaExceeded, now: Date): AppError {
  return new AppError(
    "rate_limited",
    `the terms of '${exceeded.slug}' allow ${exceeded.limit} calls per day; today's are used up`,
    { listing_id: exceeded.listing_id, limit: exceeded.limit, retry_after: secondsUntilUtcMidnight(now) },
  );
}

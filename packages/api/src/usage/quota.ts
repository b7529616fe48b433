import { AppError } from "@memstore/core";
import { type Executor, queryRows, sql } from "@memstore/db";

/** Seconds until the next UTC midnight, when daily call counts start again. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

/**
 * The licence's `calls_per_day`: refuses a call (429, with when to retry) when any install it
 * would use has already been called that many times today (UTC), across all of the org's keys.
 */
export async function enforceCallQuota(db: Executor, installIds: string[], now = new Date()): Promise<void> {
  if (installIds.length === 0) return;
  const day = now.toISOString().slice(0, 10);
  const over = await queryRows<{ listing_id: string; slug: string; limit: number; used: number }>(
    db,
    sql`select l.id as listing_id, c.slug, (l.terms->>'calls_per_day')::int as limit,
               coalesce((select sum(u.calls) from usage_daily u where u.install_id = i.id and u.day = ${day}), 0)::int as used
        from installs i
        join listings l on l.id = i.listing_id
        join cubes c on c.id = i.cube_id
        where i.id = any(${sql.param(installIds)}::text[]) and l.terms ? 'calls_per_day'`,
  );
  const exceeded = over.find((r) => r.used >= r.limit);
  if (exceeded) {
    throw new AppError(
      "rate_limited",
      `the licence of '${exceeded.slug}' allows ${exceeded.limit} calls per day; today's are used up`,
      { listing_id: exceeded.listing_id, limit: exceeded.limit, retry_after: secondsUntilUtcMidnight(now) },
    );
  }
}

import type { UsagePricing } from "@memstore/core";
import { apiKeys, cubes, type Executor, installs, listings, queryRows, sql, usageDaily } from "@memstore/db";
import { and, eq, gte, inArray } from "drizzle-orm";

/**
 * The reads of agent calls per day, each `fn(db, { orgId, since, … })`: a subscriber's own
 * counters, the names they are charted by, and a publisher's calls and installs. The services judge
 * the rows; these only read.
 */

/** The organisation's own calls per day, install and key, from `since` (a UTC day). */
export function ownCallsPerDay(db: Executor, at: { orgId: string; since: string }) {
  return db
    .select({
      orgId: usageDaily.orgId,
      day: usageDaily.day,
      installId: usageDaily.installId,
      keyId: usageDaily.keyId,
      calls: usageDaily.calls,
    })
    .from(usageDaily)
    .where(and(eq(usageDaily.orgId, at.orgId), gte(usageDaily.day, at.since)));
}

/** Each install's cube slug, to name it by. */
export async function installNames(db: Executor, at: { installIds: string[] }) {
  if (at.installIds.length === 0) return [];
  return db
    .select({ id: installs.id, slug: cubes.slug })
    .from(installs)
    .innerJoin(cubes, eq(cubes.id, installs.cubeId))
    .where(inArray(installs.id, at.installIds));
}

/** Each key's name, to name it by. */
export async function keyNames(db: Executor, at: { keyIds: string[] }) {
  if (at.keyIds.length === 0) return [];
  return db
    .select({ id: apiKeys.id, name: apiKeys.name })
    .from(apiKeys)
    .where(inArray(apiKeys.id, at.keyIds));
}

/** Agent calls against the publisher's listings per day, from `since`. */
export function publisherCallsPerDay(db: Executor, at: { orgId: string; since: string }) {
  return db
    .select({ day: usageDaily.day, calls: sql<number>`sum(${usageDaily.calls})::int` })
    .from(usageDaily)
    .innerJoin(installs, eq(installs.id, usageDaily.installId))
    .innerJoin(listings, eq(listings.id, installs.listingId))
    .where(and(eq(listings.orgId, at.orgId), gte(usageDaily.day, at.since)))
    .groupBy(usageDaily.day);
}

/** When each install of the publisher's listings began and ended. */
export function publisherInstallSpans(db: Executor, at: { orgId: string }) {
  return db
    .select({ createdAt: installs.createdAt, uninstalledAt: installs.uninstalledAt })
    .from(installs)
    .innerJoin(listings, eq(listings.id, installs.listingId))
    .where(eq(listings.orgId, at.orgId));
}

export type UsageRow = {
  day: string;
  install_id: string;
  vault_id: string;
  org_id: string;
  listing_id: string;
  cube: string;
  pricing: { model: string; currency?: string } & UsagePricing;
  calls: string;
  bytes: string;
};

/**
 * The organisation's calls and bytes per install and UTC day, with each install's vault, listing,
 * cube and pricing, from the first day of `from`'s month (a month's charge counts from its first
 * day) to `to`.
 */
export function usagePerInstallDay(db: Executor, at: { orgId: string; from: string; to: string }) {
  return queryRows<UsageRow>(
    db,
    sql`select to_char(u.day, 'YYYY-MM-DD') as day, u.install_id, i.vault_id, i.org_id, i.listing_id,
          c.slug as cube, l.pricing, sum(u.calls)::text as calls, sum(u.bytes)::text as bytes
        from usage_daily u
        join installs i on i.id = u.install_id
        join listings l on l.id = i.listing_id
        join cubes c on c.id = i.cube_id
        where u.org_id = ${at.orgId} and i.org_id = ${at.orgId}
          and u.day between date_trunc('month', ${at.from}::date)::date and ${at.to}::date
        group by u.day, u.install_id, i.vault_id, i.org_id, i.listing_id, c.slug, l.pricing
        order by u.day, u.install_id`,
  );
}

import { apiKeys, cubes, type Executor, installs, listings, sql, usageDaily } from "@memstore/db";
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

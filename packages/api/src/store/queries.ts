import {
  accessRequests,
  cubes,
  cubeVersions,
  type Executor,
  installs,
  listings,
  organizations,
  queryRows,
  sql,
} from "@memstore/db";
import { and, count, desc, eq, inArray, isNull, type SQL } from "drizzle-orm";
import { cosineDistance } from "../search/query.ts";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The store's reads, each `fn(db, { … })`: listings found by meaning, by words or by date among
 * those the `filters` admit (an SQL condition over `l`, the listing, and `c`, its cube), and what a
 * card shows of each. The services decide what a caller may see; these only read.
 */

/** The listings nearest the query's embedding. */
export function listingsByMeaning(
  db: Executor,
  at: { filters: SQL; vector: Float32Array; dim: number; limit: number },
) {
  return queryRows<{ id: string }>(
    db,
    sql`select l.id from listings l join cubes c on c.id = l.cube_id
        where ${at.filters} and l.embedding_dim = ${at.dim}
        order by ${cosineDistance("l.embedding", at.dim, at.vector)} limit ${at.limit}`,
  );
}

/** The listings whose text matches the words (a `to_tsquery` text), best first. */
export function listingsByWords(db: Executor, at: { filters: SQL; tsQuery: string; limit: number }) {
  return queryRows<{ id: string }>(
    db,
    sql`select l.id from listings l join cubes c on c.id = l.cube_id
        where ${at.filters} and l.tsv @@ to_tsquery('english', ${at.tsQuery})
        order by ts_rank_cd(l.tsv, to_tsquery('english', ${at.tsQuery})) desc, l.id limit ${at.limit}`,
  );
}

/** The newest published listings, a page's worth from `offset`. */
export function newestListings(db: Executor, at: { filters: SQL; limit: number; offset: number }) {
  return queryRows<{ id: string }>(
    db,
    sql`select l.id from listings l join cubes c on c.id = l.cube_id where ${at.filters}
        order by l.published_at desc, l.id limit ${at.limit} offset ${at.offset}`,
  );
}

/** The listings with their cube and publisher. */
export function listingsWithCube(db: Executor, at: { listingIds: string[] }) {
  return db
    .select({ listing: listings, cube: cubes, org: organizations })
    .from(listings)
    .innerJoin(cubes, eq(cubes.id, listings.cubeId))
    .innerJoin(organizations, eq(organizations.id, listings.orgId))
    .where(inArray(listings.id, at.listingIds));
}

/** The installable (ready, not yanked, not held) versions of the cubes, as a card needs them. */
export function readyVersionsOfCubes(db: Executor, at: { cubeIds: string[] }) {
  return db
    .select({
      id: cubeVersions.id,
      cubeId: cubeVersions.cubeId,
      version: cubeVersions.version,
      size: cubeVersions.size,
      signature: cubeVersions.signature,
    })
    .from(cubeVersions)
    .where(
      and(
        inArray(cubeVersions.cubeId, at.cubeIds),
        eq(cubeVersions.status, "ready"),
        isNull(cubeVersions.yankedAt),
        isNull(cubeVersions.heldAt),
      ),
    );
}

/** How many live installs each listing has. */
export function liveInstallCounts(db: Executor, at: { listingIds: string[] }) {
  return db
    .select({ listingId: installs.listingId, n: count() })
    .from(installs)
    .where(and(inArray(installs.listingId, at.listingIds), isNull(installs.uninstalledAt)))
    .groupBy(installs.listingId);
}

/** A cube's ready versions, newest first, yanked ones included (the listing shows their tombstones). */
export function readyVersionsNewestFirst(db: Executor, at: { cubeId: string }) {
  return db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.cubeId, at.cubeId), eq(cubeVersions.status, "ready")))
    .orderBy(desc(cubeVersions.readyAt));
}

/** A listing by id, whoever's it is (the caller judges whether it may be seen). */
export async function listingById(db: Executor, at: { listingId: string }) {
  const [listing] = await db.select().from(listings).where(eq(listings.id, at.listingId));
  return listing ?? null;
}

/** One page of access requests (to a listing, or by an organisation), newest first, with the listing's title and the asker. */
export function accessRequestPage(db: Executor, at: { listingId?: string; orgId?: string; page: PageQuery }) {
  return readPage(
    db
      .select({ request: accessRequests, title: cubes.title, org: organizations })
      .from(accessRequests)
      .innerJoin(listings, eq(listings.id, accessRequests.listingId))
      .innerJoin(cubes, eq(cubes.id, listings.cubeId))
      .innerJoin(organizations, eq(organizations.id, accessRequests.orgId))
      .where(
        and(
          at.listingId ? eq(accessRequests.listingId, at.listingId) : undefined,
          at.orgId ? eq(accessRequests.orgId, at.orgId) : undefined,
        ),
      )
      .orderBy(desc(accessRequests.createdAt), desc(accessRequests.id))
      .$dynamic(),
    at.page,
  );
}

/** An access request to one of the publisher's listings, locked for its answer. */
export async function incomingAccessRequest(db: Executor, at: { publisherOrgId: string; requestId: string }) {
  const [row] = await db
    .select({ request: accessRequests, listing: listings, title: cubes.title, org: organizations })
    .from(accessRequests)
    .innerJoin(listings, eq(listings.id, accessRequests.listingId))
    .innerJoin(cubes, eq(cubes.id, listings.cubeId))
    .innerJoin(organizations, eq(organizations.id, accessRequests.orgId))
    .where(and(eq(accessRequests.id, at.requestId), eq(listings.orgId, at.publisherOrgId)))
    .for("update", { of: accessRequests });
  return row ?? null;
}

/** The organisation's requests for a listing in a state (pending: at most one; approved: the newest). */
export async function accessRequestsIn(
  db: Executor,
  at: { orgId: string; listingId: string; state: "pending" | "approved" },
) {
  return db
    .select()
    .from(accessRequests)
    .where(
      and(
        eq(accessRequests.orgId, at.orgId),
        eq(accessRequests.listingId, at.listingId),
        eq(accessRequests.state, at.state),
      ),
    )
    .orderBy(desc(accessRequests.createdAt));
}

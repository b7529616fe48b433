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

/** The listings nearest the query's meaning among those the filters admit, with their cosine similarity. */
export function listingsByMeaning(
  db: Executor,
  at: { filters: SQL; vector: Float32Array; dim: number; limit: number },
) {
  const distance = cosineDistance("l.embedding", at.dim, at.vector);
  return queryRows<{ id: string; similarity: number; tags: string[] }>(
    db,
    sql`select l.id, 1 - ${distance} as similarity, c.tags from listings l join cubes c on c.id = l.cube_id
        where ${at.filters} and l.embedding_dim = ${at.dim}
        order by ${distance} limit ${at.limit}`,
  );
}

/**
 * The listings holding every word of the query (a `to_tsquery` AND text) in their title,
 * description, tags or anywhere in their listed version's text (`listing_vocab`), ranked by how
 * well their own words (`anyQuery`, OR) match.
 */
export function listingsByWords(
  db: Executor,
  at: { filters: SQL; allQuery: string; anyQuery: string; limit: number },
) {
  const all = sql`to_tsquery('english', ${at.allQuery})`;
  return queryRows<{ id: string }>(
    db,
    sql`select l.id from listings l join cubes c on c.id = l.cube_id
        where ${at.filters}
          and (l.tsv @@ ${all} or l.id in (select v.listing_id from listing_vocab v where v.vocab @@ ${all}))
        order by ts_rank_cd(l.tsv, to_tsquery('english', ${at.anyQuery})) desc, l.id limit ${at.limit}`,
  );
}

/** How the store orders listings besides relevance: newest first, most installed, best rated. */
export type StoreSort = "newest" | "installs" | "rating";

const liveInstalls = sql`(select count(*) from installs i where i.listing_id = l.id and i.uninstalled_at is null)`;
const ORDER: Record<StoreSort, SQL> = {
  newest: sql`l.published_at desc nulls last, l.id`,
  installs: sql`${liveInstalls} desc, l.published_at desc nulls last, l.id`,
  // Unrated listings last; among equal averages, the one more people rated.
  rating: sql`l.rating_sum::float8 / nullif(l.rating_count, 0) desc nulls last, l.rating_count desc,
              l.published_at desc nulls last, l.id`,
};

/** The listings the filters admit in the order asked, a page's worth from `offset`. */
export function sortedListings(
  db: Executor,
  at: { filters: SQL; sort: StoreSort; limit: number; offset: number },
) {
  return queryRows<{ id: string }>(
    db,
    sql`select l.id from listings l join cubes c on c.id = l.cube_id where ${at.filters}
        order by ${ORDER[at.sort]} limit ${at.limit} offset ${at.offset}`,
  );
}

/** These listings in the order asked (found by a query first). */
export function listingsInOrder(db: Executor, at: { ids: string[]; sort: StoreSort }) {
  if (at.ids.length === 0) return Promise.resolve([]);
  return queryRows<{ id: string }>(
    db,
    sql`select l.id from listings l where l.id = any(${sql.param(at.ids)}::text[]) order by ${ORDER[at.sort]}`,
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
      chunkCount: cubeVersions.chunkCount,
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

/**
 * Claims `n` of an organisation's daily questions to a listing, exactly under concurrency: the
 * day's row grows by `n` only while it stays within `max` (one statement, the row locked by the
 * upsert). Null when the day's allowance would be exceeded; otherwise the questions asked today.
 */
export async function claimPreviewQuestions(
  db: Executor,
  at: { listingId: string; orgId: string; day: string; n: number; max: number },
) {
  const [row] = await queryRows<{ questions: number }>(
    db,
    sql`insert into listing_previews (listing_id, org_id, day, questions)
        values (${at.listingId}, ${at.orgId}, ${at.day}::date, ${at.n})
        on conflict (listing_id, org_id, day) do update
          set questions = listing_previews.questions + excluded.questions
          where listing_previews.questions + excluded.questions <= ${at.max}
        returning questions`,
  );
  return row?.questions ?? null;
}

/** The questions of today's claim that the pack answered, for the publisher's Sales. */
export async function countPreviewAnswers(
  db: Executor,
  at: { listingId: string; orgId: string; day: string; n: number },
) {
  await db.execute(
    sql`update listing_previews set answered = answered + ${at.n}
        where listing_id = ${at.listingId} and org_id = ${at.orgId} and day = ${at.day}::date`,
  );
}

/**
 * How much of each question a text covers: the share of the question's word stems (Postgres's
 * English dictionary) the text holds; 0 for a question with no words.
 */
export async function questionCoverage(db: Executor, pairs: Array<{ question: string; text: string }>) {
  if (pairs.length === 0) return [];
  const rows = await queryRows<{ coverage: number | null }>(
    db,
    sql`select (select count(*) filter (where to_tsvector('english', t.text) @@ plainto_tsquery('simple', lex))::float8
                       / nullif(count(*), 0)
                from unnest(tsvector_to_array(to_tsvector('english', t.question))) as lex) as coverage
        from unnest(${sql.param(pairs.map((p) => p.question))}::text[], ${sql.param(pairs.map((p) => p.text))}::text[])
          with ordinality as t(question, text, n)
        order by t.n`,
  );
  return rows.map((r) => r.coverage ?? 0);
}

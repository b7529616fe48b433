import { cubes, type Executor, listings, offers, queryRows, sql } from "@memstore/db";
import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of listings and their private offers, each `fn(db, { orgId, … })`: the services (and
 * the store, which shows a buyer its offers) judge what they show; these only read.
 */

/** One page of the organisation's own listings, newest first, each with its cube and live installs. */
export function ownListingPage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select({
        listing: listings,
        cubeSlug: cubes.slug,
        cubeTitle: cubes.title,
        cubeType: cubes.type,
        installs: sql<number>`(select count(*)::int from installs i where i.listing_id = ${listings.id} and i.uninstalled_at is null)`,
      })
      .from(listings)
      .innerJoin(cubes, eq(cubes.id, listings.cubeId))
      .where(eq(listings.orgId, at.orgId))
      .orderBy(desc(listings.createdAt), desc(listings.id))
      .$dynamic(),
    at.page,
  );
}

/** The organisation's offers on a listing that have not expired, newest first. */
export function openOffers(db: Executor, at: { orgId: string; listingId: string }) {
  return db
    .select()
    .from(offers)
    .where(
      and(
        eq(offers.orgId, at.orgId),
        eq(offers.listingId, at.listingId),
        or(isNull(offers.expiresAt), gt(offers.expiresAt, new Date())),
      ),
    )
    .orderBy(desc(offers.createdAt));
}

/** The terms a holder works under: a private offer's own when its entitlement came from one, else the listing's. */
export async function termsHeld(db: Executor, at: { listingId: string; offerId: string | null }) {
  const [held] = await db
    .select({ terms: listings.terms, offerTerms: offers.terms })
    .from(listings)
    .leftJoin(offers, eq(offers.id, at.offerId ?? ""))
    .where(eq(listings.id, at.listingId));
  return held?.offerTerms ?? held?.terms ?? {};
}

/**
 * The most words a listing is found by, and the longest: a tsvector holds at most 1 MB, and 25,000
 * words of at most 32 bytes (with 4 bytes of entry each) stay under it. Longer "words" are URLs,
 * hashes and code, which no buyer searches the store by.
 */
const VOCABULARY_WORDS = 25_000;
const VOCABULARY_WORD_BYTES = 32;

/**
 * The listing's vocabulary becomes the words of this version's text (see `listing_vocab`): the
 * version by id, or by its cube and number (a `version.published` event names it so).
 */
export async function writeVocabulary(
  db: Executor,
  at: { listingId: string } & ({ versionId: string } | { cubeId: string; version: string }),
) {
  const version =
    "versionId" in at
      ? sql`${at.versionId}`
      : sql`(select v.id from cube_versions v where v.cube_id = ${at.cubeId} and v.version = ${at.version})`;
  // Once per version: publishing a listing and the fan-out of its `version.published` both ask.
  await queryRows(
    db,
    sql`with v as (select ${version} as id)
        insert into listing_vocab (listing_id, vocab, version_id)
        select ${at.listingId}, array_to_tsvector(array(
          select distinct u.lexeme from chunks ch, unnest(ch.tsv) as u
          where ch.version_id = v.id and octet_length(u.lexeme) <= ${VOCABULARY_WORD_BYTES}
          limit ${VOCABULARY_WORDS})), v.id
        from v
        where v.id is not null and not exists (
          select 1 from listing_vocab lv where lv.listing_id = ${at.listingId} and lv.version_id = v.id)
        on conflict (listing_id) do update set vocab = excluded.vocab, version_id = excluded.version_id`,
  );
}

import { CUBE_TYPES, fuseByReciprocalRank, slugSchema, type Subject } from "@memstore/core";
import { sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { z } from "zod";
import { authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { decodeCursor, type Page, pageQuery, toPage } from "../kernel/pagination.ts";
import { keywordQueries } from "../search/query.ts";
import { relevanceFloor } from "../search/relevance.ts";
import { listingsByMeaning, listingsByWords, listingsInOrder, sortedListings } from "./queries.ts";
import { type StoreCard, storeCards } from "./store-listings.ts";

export const storeQuery = pageQuery.extend({
  q: z.string().trim().max(500).optional(),
  type: z.enum(CUBE_TYPES).optional(),
  tag: z.string().trim().min(1).max(64).optional(),
  free: z.enum(["true", "false"]).optional(),
  /** `relevance` (the default with `q`; without, `newest`), `installs`, `rating` or `newest`. */
  sort: z.enum(["relevance", "installs", "rating", "newest"]).optional(),
  /** One publisher's listings, by its slug. */
  publisher: slugSchema.optional(),
  /** Listings rated at least this on average (unrated ones left out). */
  min_rating: z.coerce.number().min(1).max(5).optional(),
});

type StoreQuery = z.infer<typeof storeQuery>;

/** Each side of a query looks this far; the page is cut from the fused list. */
const CANDIDATES = 200;
/** An empty result offers at most this many tags, from the listings nearest the query's meaning. */
const SUGGESTED_TAGS = 5;

/**
 * The store: published public listings, filtered, and with `q` those that hold every word of it
 * (in their words or anywhere in their content) or are close enough in meaning — below the
 * relevance floor a listing is left out, so a query nothing answers returns nothing, with the tags
 * nearest it to try instead (`suggested_tags`).
 */
export async function searchListings(
  ctx: AppContext,
  subject: Subject,
  query: StoreQuery,
): Promise<Page<StoreCard> & { suggested_tags?: string[] }> {
  authorize(subject, "store.read");
  const filters = storeFilters(query);
  const offset = decodeCursor(query.cursor);
  const sort = query.sort ?? (query.q ? "relevance" : "newest");
  let ids: string[];
  let suggested: string[] | undefined;
  if (query.q) {
    const found = await relevantListings(ctx, query.q, filters);
    const ordered =
      sort === "relevance"
        ? found.ids
        : (await listingsInOrder(ctx.db, { ids: found.ids, sort })).map((r) => r.id);
    ids = ordered.slice(offset, offset + query.limit + 1);
    if (found.ids.length === 0) suggested = found.nearTags;
  } else {
    const order = sort === "relevance" ? "newest" : sort;
    ids = (await sortedListings(ctx.db, { filters, sort: order, limit: query.limit + 1, offset })).map(
      (r) => r.id,
    );
  }
  const cards = await storeCards(ctx, ids);
  const page = toPage(
    ids.flatMap((id) => cards.get(id) ?? []),
    query,
  );
  return suggested ? { ...page, suggested_tags: suggested } : page;
}

/** What every store query leaves out: unpublished and non-public listings, and what the filters say. */
function storeFilters(query: StoreQuery): SQL {
  const price =
    query.free === "true"
      ? sql`l.pricing->>'model' = 'free'`
      : query.free === "false"
        ? sql`l.pricing->>'model' <> 'free'`
        : sql`true`;
  return sql.join(
    [
      sql`l.status = 'published' and l.visibility = 'public'`,
      query.type ? sql`c.type = ${query.type}` : sql`true`,
      query.tag ? sql`${query.tag} = any(c.tags)` : sql`true`,
      price,
      query.publisher
        ? sql`l.org_id = (select o.id from organizations o where o.slug = ${query.publisher})`
        : sql`true`,
      query.min_rating !== undefined
        ? sql`l.rating_count > 0 and l.rating_sum >= ${query.min_rating}::float8 * l.rating_count`
        : sql`true`,
    ],
    sql` and `,
  );
}

/**
 * The listings a query finds, best first: those holding all its words, and those whose meaning is
 * at least the relevance floor from it, fused by reciprocal rank. With them, the tags of the
 * listings nearest its meaning whatever their distance, most common first: what to offer when
 * nothing is found.
 */
async function relevantListings(ctx: AppContext, q: string, filters: SQL) {
  const words = keywordQueries(q);
  const [vector] = await ctx.embedder.embed([q]);
  const [semantic, lexical] = await Promise.all([
    listingsByMeaning(ctx.db, { filters, vector: vector!, dim: ctx.embedder.dimension, limit: CANDIDATES }),
    words
      ? listingsByWords(ctx.db, { filters, allQuery: words.all, anyQuery: words.any, limit: CANDIDATES })
      : Promise.resolve([]),
  ]);
  const floor = relevanceFloor(ctx, ctx.config.STORE_RELEVANCE_FLOOR);
  const close = semantic.filter((r) => r.similarity >= floor);
  const fused = fuseByReciprocalRank(
    [lexical, close].map((list) => list.map((r) => ({ key: r.id, item: r.id }))),
  );
  return { ids: fused.map((f) => f.key), nearTags: commonTags(semantic.slice(0, 10)) };
}

/** The tags these listings carry, the most common first (ties: the nearer listing's first). */
function commonTags(near: Array<{ tags: string[] }>): string[] {
  const counts = new Map<string, number>();
  for (const listing of near) for (const tag of listing.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, SUGGESTED_TAGS)
    .map(([tag]) => tag);
}

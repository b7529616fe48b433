import { notFound, slugSchema } from "@memstore/core";
import { type Executor, queryRows, sql } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { organizationWithSlug } from "../identity/queries.ts";
import { storeCards } from "./store-listings.ts";

/** A publisher's page shows at most this many of its listings, the newest first. */
const PAGE_LISTINGS = 100;

/**
 * A publishing organisation's public page — anyone may read it, signed in or not: its name, its
 * words about itself and its site, when it joined, its listings in the store (published and
 * public), how many live installs they have together, and the average of their reviews' ratings.
 * An organisation that lists nothing has no page (404).
 */
export async function publisherPage(ctx: AppContext, slug: string) {
  if (!slugSchema.safeParse(slug).success) notFound("publisher");
  const org = await organizationWithSlug(ctx.db, { slug });
  if (!org) notFound("publisher");
  const totals = await publisherTotals(ctx.db, { orgId: org.id });
  if (totals.listing_ids.length === 0) notFound("publisher");
  const cards = await storeCards(ctx, totals.listing_ids);
  return {
    slug: org.slug,
    name: org.name,
    about: org.about,
    website: org.website,
    joined_at: org.createdAt.toISOString(),
    listings: totals.listing_ids.flatMap((id) => cards.get(id) ?? []),
    installs: totals.installs,
    rating: {
      average:
        totals.rating_count > 0 ? Math.round((totals.rating_sum * 100) / totals.rating_count) / 100 : null,
      count: totals.rating_count,
    },
  };
}

/** The organisation's listings the store shows (newest first), their live installs and their ratings. */
async function publisherTotals(db: Executor, at: { orgId: string }) {
  const [row] = await queryRows<{
    listing_ids: string[];
    installs: number;
    rating_sum: number;
    rating_count: number;
  }>(
    db,
    sql`with shown as (
          select id, rating_sum, rating_count, published_at from listings
          where org_id = ${at.orgId} and status = 'published' and visibility = 'public')
        select array(select id from shown order by published_at desc nulls last, id limit ${PAGE_LISTINGS}) as listing_ids,
          (select count(*)::int from installs i where i.listing_id in (select id from shown)
             and i.uninstalled_at is null) as installs,
          (select coalesce(sum(rating_sum), 0)::int from shown) as rating_sum,
          (select coalesce(sum(rating_count), 0)::int from shown) as rating_count`,
  );
  return row!;
}

import { type Executor, organizations, queryRows, reviews, sql } from "@memstore/db";
import { desc, eq } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads behind reviews, each `fn(db, { … })`: a listing's reviews a page at a time, one review,
 * and what makes an organisation eligible to write one. The services decide who may see and do what.
 */

/** Reviews with their organisation, whether it holds the listing now, and how many reported each. */
const listedReviews = (db: Executor) =>
  db
    .select({
      review: reviews,
      org: { slug: organizations.slug, name: organizations.name },
      holder: sql<boolean>`exists (select 1 from entitlements e where e.org_id = ${reviews.orgId}
          and e.listing_id = ${reviews.listingId} and e.revoked_at is null
          and e.state in ('active', 'trialing', 'past_due')
          and (e.valid_until is null or e.valid_until > now()))`,
      reports: sql<number>`(select count(*)::int from review_reports r where r.review_id = ${reviews.id})`,
    })
    .from(reviews)
    .innerJoin(organizations, eq(organizations.id, reviews.orgId));

/** A listing's reviews, the newest edit first. */
export function reviewPage(db: Executor, at: { listingId: string; page: PageQuery }) {
  return readPage(
    listedReviews(db)
      .where(eq(reviews.listingId, at.listingId))
      .orderBy(desc(reviews.updatedAt), desc(reviews.id))
      .$dynamic(),
    at.page,
  );
}

/** One review as a listing shows it. */
export async function listedReview(db: Executor, at: { reviewId: string }) {
  const [row] = await listedReviews(db).where(eq(reviews.id, at.reviewId));
  return row;
}

/** One review, with the listing it is about (its publisher, to reply). */
export async function reviewById(db: Executor, at: { reviewId: string }) {
  const [row] = await db.select().from(reviews).where(eq(reviews.id, at.reviewId));
  return row;
}

/**
 * Why an organisation may review a listing: for how many days one of its entitlements to it has run
 * (the longest, up to now or its end), and how many agent calls its installs of it made.
 */
export async function reviewEligibility(db: Executor, at: { orgId: string; listingId: string }) {
  const [row] = await queryRows<{ held_days: number; calls: number }>(
    db,
    sql`select
          coalesce((select max(extract(epoch from (least(now(), coalesce(e.revoked_at, 'infinity'),
                                                        coalesce(e.valid_until, 'infinity')) - e.valid_from)) / 86400)
                    from entitlements e where e.org_id = ${at.orgId} and e.listing_id = ${at.listingId}), 0)::float8 as held_days,
          coalesce((select sum(u.calls) from usage_daily u join installs i on i.id = u.install_id
                    where i.org_id = ${at.orgId} and i.listing_id = ${at.listingId} and u.org_id = ${at.orgId}), 0)::int as calls`,
  );
  return row ?? { held_days: 0, calls: 0 };
}

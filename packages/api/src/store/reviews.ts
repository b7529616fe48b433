import { AppError, newId, notFound, type Subject } from "@memstore/core";
import { listings, lockUntilCommit, type ReviewRow, reviewReports, reviews, sql } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { decodeCursor, type PageQuery, toPage } from "../kernel/pagination.ts";
import { listingById } from "./queries.ts";
import { listedReview, reviewById, reviewEligibility, reviewPage } from "./review-queries.ts";
import type { replyInput, reportInput, reviewInput } from "./schemas.ts";
import { loadVisibleListing } from "./store-listings.ts";

/** Holding a listing this long, or calling it this often, makes an organisation's review count. */
export const REVIEW_AFTER_DAYS = 7;
export const REVIEW_AFTER_CALLS = 100;

type Listed = {
  review: ReviewRow;
  org: { slug: string; name: string };
  holder: boolean;
  reports: number;
};

/** A review as anyone sees it; its report count only for the listing's publisher and the reviewer. */
export function reviewView(
  { review: r, org, holder, reports }: Listed,
  viewer?: { orgId: string; publisherOrgId: string },
) {
  const insider = viewer && (viewer.orgId === viewer.publisherOrgId || viewer.orgId === r.orgId);
  return {
    id: r.id,
    listing_id: r.listingId,
    rating: r.rating,
    title: r.title,
    body: r.body,
    organization: org,
    /** The reviewing organisation holds the listing now. */
    verified_holder: holder,
    reply: r.replyBody ? { body: r.replyBody, replied_at: r.repliedAt!.toISOString() } : null,
    /** The caller's organisation wrote it (it edits it by writing again). */
    mine: viewer?.orgId === r.orgId,
    ...(insider ? { reports } : {}),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** A listing's reviews, the newest edit first. */
export async function listReviews(ctx: AppContext, subject: Subject, listingId: string, page: PageQuery) {
  authorize(subject, "store.read");
  decodeCursor(page.cursor);
  const listing = await loadVisibleListing(ctx, subject, listingId);
  const rows = await reviewPage(ctx.db, { listingId: listing.id, page });
  const viewer = { orgId: subject.orgId, publisherOrgId: listing.orgId };
  return toPage(
    rows.map((row) => reviewView(row, viewer)),
    page,
  );
}

/**
 * The organisation's review of a listing: written the first time (201), edited after (200). Only an
 * organisation that has held the listing for 7 days or made 100 agent calls to it may write one
 * (`403 review_not_eligible`, saying how far it is); a publisher does not review its own listing.
 * The listing's rating moves with it, in the same transaction.
 */
export async function writeReview(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  input: z.infer<typeof reviewInput>,
) {
  authorize(subject, "review.write");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  if (listing.orgId === subject.orgId)
    throw new AppError("review_not_eligible", "a publisher does not review its own listing");
  const eligible = await reviewEligibility(ctx.db, { orgId: subject.orgId, listingId });
  if (eligible.held_days < REVIEW_AFTER_DAYS && eligible.calls < REVIEW_AFTER_CALLS) {
    throw new AppError(
      "review_not_eligible",
      `an organisation reviews a listing once it has held it for ${REVIEW_AFTER_DAYS} days or made ${REVIEW_AFTER_CALLS} agent calls to it; yours: ${Math.floor(eligible.held_days)} days, ${eligible.calls} calls`,
      { held_days: Math.floor(eligible.held_days), calls: eligible.calls },
    );
  }
  const done = await ctx.db.transaction(async (tx) => {
    // One organisation's writes to its review take turns: the rating's sum moves by each exactly once.
    await lockUntilCommit(tx, `review:${listingId}:${subject.orgId}`);
    const [before] = await tx
      .select()
      .from(reviews)
      .where(and(eq(reviews.listingId, listingId), eq(reviews.orgId, subject.orgId)));
    const values = { author: actorOf(subject), rating: input.rating, title: input.title, body: input.body };
    const [row] = before
      ? await tx
          .update(reviews)
          .set({ ...values, updatedAt: new Date() })
          .where(eq(reviews.id, before.id))
          .returning()
      : await tx
          .insert(reviews)
          .values({ id: newId("rev"), listingId, orgId: subject.orgId, ...values })
          .returning();
    await tx
      .update(listings)
      .set({
        ratingSum: sql`${listings.ratingSum} + ${input.rating - (before?.rating ?? 0)}`,
        ratingCount: sql`${listings.ratingCount} + ${before ? 0 : 1}`,
      })
      .where(eq(listings.id, listingId));
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: before ? "review.edited" : "review.written",
      objectType: "review",
      objectId: row!.id,
      data: { listing_id: listingId, rating: input.rating },
    });
    return { created: !before, reviewId: row!.id };
  });
  return { created: done.created, review: await reviewFor(ctx, subject, done.reviewId, listing.orgId) };
}

/** One review as `reviewView` shows it to the subject. */
async function reviewFor(ctx: AppContext, subject: Subject, reviewId: string, publisherOrgId: string) {
  const listed = await listedReview(ctx.db, { reviewId });
  if (!listed) notFound("review");
  return reviewView(listed, { orgId: subject.orgId, publisherOrgId });
}

/** The publisher's one reply to a review of its listing (`409 already_replied` after). */
export async function replyToReview(
  ctx: AppContext,
  subject: Subject,
  reviewId: string,
  input: z.infer<typeof replyInput>,
) {
  authorize(subject, "review.reply");
  const review = await reviewById(ctx.db, { reviewId });
  if (!review) notFound("review");
  const listing = await listingById(ctx.db, { listingId: review.listingId });
  if (listing?.orgId !== subject.orgId)
    throw new AppError("forbidden", "only the listing's publisher replies to its reviews");
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(reviews)
      .set({ replyBody: input.body, replyBy: actorOf(subject), repliedAt: new Date() })
      .where(and(eq(reviews.id, reviewId), sql`${reviews.replyBody} is null`))
      .returning();
    if (!row) throw new AppError("already_replied", "the publisher has replied to this review already");
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "review.replied",
      objectType: "review",
      objectId: reviewId,
      data: { listing_id: row.listingId },
    });
  });
  return reviewFor(ctx, subject, reviewId, subject.orgId);
}

/**
 * Anyone signed in reports a review that breaks the rules, with a reason: one report per
 * organisation and review (reporting again restates the reason). The listing's publisher and the
 * reviewer see how many organisations reported it.
 */
export async function reportReview(
  ctx: AppContext,
  subject: Subject,
  reviewId: string,
  input: z.infer<typeof reportInput>,
) {
  authorize(subject, "review.report");
  const review = await reviewById(ctx.db, { reviewId });
  if (!review) notFound("review");
  await loadVisibleListing(ctx, subject, review.listingId);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(reviewReports)
      .values({ reviewId, orgId: subject.orgId, reportedBy: actorOf(subject), reason: input.reason })
      .onConflictDoUpdate({
        target: [reviewReports.reviewId, reviewReports.orgId],
        set: { reason: input.reason, reportedBy: actorOf(subject) },
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "review.reported",
      objectType: "review",
      objectId: reviewId,
      data: { listing_id: review.listingId },
    });
    return { review_id: reviewId, reason: row!.reason, created_at: row!.createdAt.toISOString() };
  });
}

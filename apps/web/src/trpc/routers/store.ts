import { idSchema } from "@memstore/core";
import { z } from "zod";
import { orgProcedure, router, storeProcedure } from "../init.ts";
import { acquireInput } from "@memstore/api/payments";
import {
  accessRequestInput,
  acquire,
  getStoreListing,
  listOwnRequests,
  listReviews,
  ownRequestsQuery,
  publisherPage,
  replyInput,
  replyToReview,
  reportInput,
  reportReview,
  requestAccess,
  reviewInput,
  searchListings,
  storeQuery,
  tryListing,
  tryListingInput,
  writeReview,
} from "@memstore/api/store";
import { pageQuery } from "@memstore/api";

const listingRef = z.object({ id: idSchema });

export const storeRouter = router({
  search: storeProcedure
    .input(storeQuery)
    .query(({ ctx, input }) => searchListings(ctx.app, ctx.subject, input)),
  listing: storeProcedure
    .input(listingRef)
    .query(({ ctx, input }) => getStoreListing(ctx.app, ctx.subject, input.id)),
  acquire: orgProcedure
    .input(acquireInput.extend({ id: idSchema }))
    .mutation(({ ctx, input: { id, ...input } }) => acquire(ctx.app, ctx.subject, id, input)),
  /** Try before you buy: a few questions answered with snippets. */
  tryListing: orgProcedure
    .input(tryListingInput.extend({ id: idSchema }))
    .mutation(({ ctx, input: { id, ...input } }) => tryListing(ctx.app, ctx.subject, id, input)),
  /** Ask for a listing sold on request. */
  requestAccess: orgProcedure
    .input(accessRequestInput.extend({ id: idSchema }))
    .mutation(({ ctx, input: { id, ...input } }) => requestAccess(ctx.app, ctx.subject, id, input)),
  /** A publisher's public page: anyone browsing the store reads it. */
  publisher: storeProcedure
    .input(z.object({ slug: z.string().min(1).max(100) }))
    .query(({ ctx, input }) => publisherPage(ctx.app, input.slug)),
  /** A listing's reviews, newest first: anyone browsing the store reads them. */
  reviews: storeProcedure
    .input(pageQuery.extend({ id: idSchema }))
    .query(({ ctx, input: { id, ...page } }) => listReviews(ctx.app, ctx.subject, id, page)),
  /** The organisation's review of a listing: written, or edited when it has one. */
  writeReview: orgProcedure
    .input(reviewInput.extend({ id: idSchema }))
    .mutation(({ ctx, input: { id, ...input } }) => writeReview(ctx.app, ctx.subject, id, input)),
  /** The publisher's one reply to a review of its listing. */
  replyToReview: orgProcedure
    .input(replyInput.extend({ id: idSchema }))
    .mutation(({ ctx, input: { id, ...input } }) => replyToReview(ctx.app, ctx.subject, id, input)),
  /** A report that a review breaks the rules. */
  reportReview: orgProcedure
    .input(reportInput.extend({ id: idSchema }))
    .mutation(({ ctx, input: { id, ...input } }) => reportReview(ctx.app, ctx.subject, id, input)),
  /** The organisation's own access requests (to one listing, when named), newest first. */
  accessRequests: orgProcedure
    .input(ownRequestsQuery)
    .query(({ ctx, input }) => listOwnRequests(ctx.app, ctx.subject, input)),
});

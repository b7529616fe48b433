import { idSchema } from "@memstore/core";
import { z } from "zod";
import { orgProcedure, router, storeProcedure } from "../init.ts";
import { acquireInput } from "@memstore/api/payments";
import {
  accessRequestInput,
  acquire,
  getStoreListing,
  listOwnRequests,
  ownRequestsQuery,
  requestAccess,
  searchListings,
  storeQuery,
  tryListing,
  tryListingInput,
} from "@memstore/api/store";

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
  /** The organisation's own access requests (to one listing, when named), newest first. */
  accessRequests: orgProcedure
    .input(ownRequestsQuery)
    .query(({ ctx, input }) => listOwnRequests(ctx.app, ctx.subject, input)),
});

import { idSchema } from "@memstore/core";
import { z } from "zod";
import { orgProcedure, router, storeProcedure } from "../trpc/init.ts";
import { acquireInput } from "../commerce/checkout.ts";
import { acquire } from "./acquire-listing.ts";
import { getStoreListing, searchListings, storeQuery } from "./store-listings.ts";

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
});

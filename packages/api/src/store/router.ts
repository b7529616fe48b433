import { idSchema } from "@memstore/core";
import { z } from "zod";
import { orgProcedure, router } from "../trpc/init.ts";
import { acquire } from "./acquire-listing.ts";
import { getStoreListing, searchListings, storeQuery } from "./store-listings.ts";

const listingRef = z.object({ id: idSchema });

export const storeRouter = router({
  search: orgProcedure
    .input(storeQuery)
    .query(({ ctx, input }) => searchListings(ctx.app, ctx.subject, input)),
  listing: orgProcedure
    .input(listingRef)
    .query(({ ctx, input }) => getStoreListing(ctx.app, ctx.subject, input.id)),
  acquire: orgProcedure
    .input(listingRef)
    .mutation(({ ctx, input }) => acquire(ctx.app, ctx.subject, input.id)),
});

import { idSchema } from "@memstore/core";
import { z } from "zod";
import { orgProcedure, router, storeProcedure } from "../init.ts";
import { acquireInput } from "@memstore/api/payments";
import { acquire, getStoreListing, searchListings, storeQuery } from "@memstore/api/store";

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

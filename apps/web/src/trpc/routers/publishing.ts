import { idSchema, semverSchema } from "@memstore/core";
import { z } from "zod";
import { pageQuery } from "@memstore/api";
import { orgProcedure, router } from "../init.ts";
import {
  createCube,
  createCubeInput,
  createVersion,
  createVersionInput,
  getCube,
  getVersion,
  listCubes,
  listVersions,
  submitVersion,
  yankVersionInput,
} from "@memstore/api/catalog";
import { unyankVersion, yankVersion } from "@memstore/api/vaults";
import { attachEvalSet, evalSetQuery, releaseVersion } from "@memstore/api/evaluation";
import { createListing, createListingInput, listOwnListings, publishListing } from "@memstore/api/listings";

const cubeRef = z.object({ cube_id: idSchema });
const versionRef = cubeRef.extend({ version: semverSchema });

export const publishingRouter = router({
  cubes: orgProcedure.input(pageQuery).query(({ ctx, input }) => listCubes(ctx.app, ctx.subject, input)),
  cube: orgProcedure.input(cubeRef).query(({ ctx, input }) => getCube(ctx.app, ctx.subject, input.cube_id)),
  createCube: orgProcedure
    .input(createCubeInput)
    .mutation(({ ctx, input }) => createCube(ctx.app, ctx.subject, input)),
  versions: orgProcedure
    .input(cubeRef.extend(pageQuery.shape))
    .query(({ ctx, input }) => listVersions(ctx.app, ctx.subject, input.cube_id, input)),
  version: orgProcedure
    .input(versionRef)
    .query(({ ctx, input }) => getVersion(ctx.app, ctx.subject, input.cube_id, input.version)),
  createVersion: orgProcedure
    .input(cubeRef.extend(createVersionInput.shape))
    .mutation(({ ctx, input: { cube_id, ...input } }) => createVersion(ctx.app, ctx.subject, cube_id, input)),
  submitVersion: orgProcedure
    .input(versionRef)
    .mutation(({ ctx, input }) => submitVersion(ctx.app, ctx.subject, input.cube_id, input.version)),
  /** A ready version withdrawn: no new install of it; installs on it move off, or are noticed or suspended. */
  yankVersion: orgProcedure
    .input(versionRef.extend(yankVersionInput.shape))
    .mutation(({ ctx, input: { cube_id, version, ...input } }) =>
      yankVersion(ctx.app, ctx.subject, { cubeId: cube_id, version }, input),
    ),
  unyankVersion: orgProcedure
    .input(versionRef)
    .mutation(({ ctx, input }) =>
      unyankVersion(ctx.app, ctx.subject, { cubeId: input.cube_id, version: input.version }),
    ),
  /** A plaintext draft's evaluation set, as the NDJSON text of its file. */
  attachEvalSet: orgProcedure
    .input(versionRef.extend(evalSetQuery.shape).extend({ ndjson: z.string().max(1024 * 1024) }))
    .mutation(({ ctx, input: { cube_id, version, ndjson, ...query } }) =>
      attachEvalSet(ctx.app, ctx.subject, { cubeId: cube_id, version }, ndjson, query),
    ),
  /** Releases a version its evaluation held. */
  releaseVersion: orgProcedure
    .input(versionRef)
    .mutation(({ ctx, input }) => releaseVersion(ctx.app, ctx.subject, input.cube_id, input.version)),
  listings: orgProcedure
    .input(pageQuery)
    .query(({ ctx, input }) => listOwnListings(ctx.app, ctx.subject, input)),
  createListing: orgProcedure
    .input(createListingInput)
    .mutation(({ ctx, input }) => createListing(ctx.app, ctx.subject, input)),
  publishListing: orgProcedure
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => publishListing(ctx.app, ctx.subject, input.id)),
});

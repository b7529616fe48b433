import { pageQuery } from "@memstore/api";
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
  uploadPayload,
  yankVersionInput,
} from "@memstore/api/catalog";
import { unyankVersion, yankVersion } from "@memstore/api/vaults";
import { attachEvalSet, evalSetQuery, releaseVersion } from "@memstore/api/evaluation";
import {
  createListing,
  createListingInput,
  listOwnListings,
  publishListing,
  changeListingStatus,
  updateListing,
  updateListingInput,
} from "@memstore/api/listings";
import {
  deriveKvInput,
  deriveKvSnapshot,
  mergeLoraInput,
  mergeLoraPacks,
  reduceLoraRank,
  reduceRankInput,
} from "@memstore/api/derivations";
import { AppError, NDJSON, PAYLOAD_MEDIA_TYPES } from "@memstore/core";
import { route } from "../route.ts";
import { bodyStream, declaredLength, MAX_JSON_BYTES, readBoundedText } from "../body.ts";

export const publishingRoutes = [
  route({
    method: "POST",
    path: "/api/v1/cubes",
    summary: "Create a cube",
    tag: "publishing",
    scope: "publish",
    body: createCubeInput,
    status: 201,
    handler: ({ ctx, subject, body }) => createCube(ctx, subject, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes",
    summary: "List the organisation's cubes",
    tag: "publishing",
    scope: "publish",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listCubes(ctx, subject, query),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}",
    summary: "Get a cube",
    tag: "publishing",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject, params }) => getCube(ctx, subject, params.cube_id),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions",
    summary: "Create a draft version (409 if it exists)",
    tag: "publishing",
    scope: "publish",
    body: createVersionInput,
    status: 201,
    handler: ({ ctx, subject, params, body }) => createVersion(ctx, subject, params.cube_id, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}/versions",
    summary: "List a cube's versions",
    tag: "publishing",
    scope: "publish",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, params, query }) => listVersions(ctx, subject, params.cube_id, query),
  }),
  route({
    method: "PUT",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/payload",
    summary: "Upload a draft version's payload (streamed, size-capped)",
    tag: "publishing",
    scope: "publish",
    rawBody: PAYLOAD_MEDIA_TYPES,
    status: 200,
    handler: async ({ ctx, subject, params, request }) => {
      if (!request.body) throw new AppError("content_rejected", "the payload is empty");
      return uploadPayload(
        ctx,
        subject,
        { cubeId: params.cube_id, version: params.version },
        bodyStream(request),
        request.headers.get("content-type"),
        declaredLength(request),
      );
    },
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/kv-snapshot",
    summary:
      "Queue a registered base model's run over a ready plaintext version, publishing its KV cache as a new activation cube (1.0.0, processing; the `derive` run reports tokens and time)",
    tag: "publishing",
    scope: "publish",
    body: deriveKvInput,
    status: 202,
    handler: ({ ctx, subject, params, body }) =>
      deriveKvSnapshot(ctx, subject, { cubeId: params.cube_id, version: params.version }, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/rank-reduction",
    summary:
      "Reduce a ready LoRA pack to a lower rank by truncated SVD and publish it as a new parametric cube (1.0.0, submitted), with the error per module",
    tag: "publishing",
    scope: "publish",
    body: reduceRankInput,
    status: 202,
    handler: ({ ctx, subject, params, body }) =>
      reduceLoraRank(ctx, subject, { cubeId: params.cube_id, version: params.version }, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/lora-merge",
    summary:
      "Merge ready LoRA packs on one base model exactly (weighted, ranks concatenated) into a new parametric cube (1.0.0, submitted)",
    tag: "publishing",
    scope: "publish",
    body: mergeLoraInput,
    status: 202,
    handler: ({ ctx, subject, body }) => mergeLoraPacks(ctx, subject, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/submit",
    summary: "Submit a draft: freeze it and start its pipeline",
    tag: "publishing",
    scope: "publish",
    status: 202,
    handler: ({ ctx, subject, params }) => submitVersion(ctx, subject, params.cube_id, params.version),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}/versions/{version}",
    summary: "Get a version with its status, manifest and processing runs",
    tag: "publishing",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject, params }) => getVersion(ctx, subject, params.cube_id, params.version),
  }),
  route({
    method: "PUT",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/eval",
    summary:
      "Attach a plaintext draft's evaluation set: NDJSON lines { question, expect: { contains } | { section } } (1–500); ?max_recall_drop= holds the version if its recall@5 falls by more than that",
    tag: "publishing",
    scope: "publish",
    query: evalSetQuery,
    rawBody: [NDJSON],
    status: 200,
    handler: async ({ ctx, subject, params, query, request }) =>
      attachEvalSet(
        ctx,
        subject,
        { cubeId: params.cube_id, version: params.version },
        await readBoundedText(request, MAX_JSON_BYTES),
        query,
      ),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/release",
    summary:
      "Release a version its evaluation held (recall fell by more than allowed): offered and announced from now, auto-updates move to it",
    tag: "publishing",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject, params }) => releaseVersion(ctx, subject, params.cube_id, params.version),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/yank",
    summary:
      "Yank a ready version: no new install of it; installs on it move to the newest non-yanked version their policy allows, else keep it with a notice (normal) or are suspended (critical)",
    tag: "publishing",
    scope: "publish",
    body: yankVersionInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) =>
      yankVersion(ctx, subject, { cubeId: params.cube_id, version: params.version }, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/unyank",
    summary: "Unyank a version: installable again; installs that moved off it stay where they went",
    tag: "publishing",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject, params }) =>
      unyankVersion(ctx, subject, { cubeId: params.cube_id, version: params.version }),
  }),
  route({
    method: "POST",
    path: "/api/v1/listings",
    summary: "Create a listing (draft)",
    tag: "publishing",
    scope: "publish",
    body: createListingInput,
    status: 201,
    handler: ({ ctx, subject, body }) => createListing(ctx, subject, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/listings/{listing_id}/publish",
    summary: "Publish a listing (409 without a ready version)",
    tag: "publishing",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject, params }) => publishListing(ctx, subject, params.listing_id),
  }),
  route({
    method: "GET",
    path: "/api/v1/listings",
    summary: "The organisation's own listings, newest first, with their cube and live installs",
    tag: "publishing",
    scope: "publish",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listOwnListings(ctx, subject, query),
  }),
  route({
    method: "PATCH",
    path: "/api/v1/listings/{listing_id}",
    summary:
      "Edit a listing: title, description, pricing (new buyers at once, running subscriptions at their next renewal), terms, visibility",
    tag: "publishing",
    scope: "publish",
    body: updateListingInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) => updateListing(ctx, subject, params.listing_id, body),
  }),
  ...(["suspend", "resume", "retire"] as const).map((transition) =>
    route({
      method: "POST",
      path: `/api/v1/listings/{listing_id}/${transition}`,
      summary: {
        suspend:
          "Suspend a published listing: hidden from the store, no new acquisitions; entitlements keep working",
        resume: "Publish a suspended listing again",
        retire: "Retire a listing for good: as suspended, with no renewals; final",
      }[transition],
      tag: "publishing",
      scope: "publish",
      status: 200,
      handler: ({ ctx, subject, params }) => changeListingStatus(ctx, subject, params.listing_id, transition),
    }),
  ),
];

import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import {
  createCube,
  createCubeInput,
  createListing,
  createListingInput,
  createVersion,
  createVersionInput,
  getCube,
  getVersion,
  listCubes,
  listVersions,
  PAYLOAD_FORMATS,
  pageQuery,
  publishListing,
  submitVersion,
  uploadPayload,
} from "@memstore/api";
import { AppError } from "@memstore/core";
import { json, route } from "../route.ts";

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
    handler: ({ ctx, subject, query }) => listCubes(ctx, subject, query),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}",
    summary: "Get a cube",
    tag: "publishing",
    scope: "publish",
    handler: ({ ctx, subject, params }) => getCube(ctx, subject, params.cube_id!),
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions",
    summary: "Create a draft version (409 if it exists)",
    tag: "publishing",
    scope: "publish",
    body: createVersionInput,
    status: 201,
    handler: ({ ctx, subject, params, body }) => createVersion(ctx, subject, params.cube_id!, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}/versions",
    summary: "List a cube's versions",
    tag: "publishing",
    scope: "publish",
    query: pageQuery,
    handler: ({ ctx, subject, params, query }) => listVersions(ctx, subject, params.cube_id!, query),
  }),
  route({
    method: "PUT",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/payload",
    summary: "Upload a draft version's payload (streamed, size-capped)",
    tag: "publishing",
    scope: "publish",
    rawBody: [...new Set(Object.values(PAYLOAD_FORMATS).flatMap((f) => Object.keys(f)))],
    handler: async ({ ctx, subject, params, request }) => {
      if (!request.body) throw new AppError("content_rejected", "the payload is empty");
      const body = Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>);
      return uploadPayload(
        ctx,
        subject,
        { cubeId: params.cube_id!, version: params.version! },
        body,
        request.headers.get("content-type"),
      );
    },
  }),
  route({
    method: "POST",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/submit",
    summary: "Submit a draft: freeze it and start its pipeline",
    tag: "publishing",
    scope: "publish",
    status: 202,
    handler: ({ ctx, subject, params }) => submitVersion(ctx, subject, params.cube_id!, params.version!),
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}/versions/{version}",
    summary: "Get a version with its status, manifest and processing runs",
    tag: "publishing",
    scope: "publish",
    handler: ({ ctx, subject, params }) => getVersion(ctx, subject, params.cube_id!, params.version!),
  }),
  route({
    method: "POST",
    path: "/api/v1/listings",
    summary: "Create a listing (draft)",
    tag: "publishing",
    scope: "publish",
    body: createListingInput,
    handler: async ({ ctx, subject, body }) => json(await createListing(ctx, subject, body), 201),
  }),
  route({
    method: "POST",
    path: "/api/v1/listings/{listing_id}/publish",
    summary: "Publish a listing (409 without a ready version)",
    tag: "publishing",
    scope: "publish",
    handler: ({ ctx, subject, params }) => publishListing(ctx, subject, params.listing_id!),
  }),
];

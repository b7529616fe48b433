import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { exportBundle, importBundle } from "@memstore/api/portability";
import { bodyStream } from "../body.ts";
import { route } from "../route.ts";

/** Portability: a ready version out as a signed bundle, a bundle in as a draft version. */
export const portabilityRoutes = [
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/bundle",
    summary:
      "Publisher: a ready version as a signed bundle (application/x-tar): license.json, memcube.json (the signed manifest), the payload, signature.json (ed25519, key id); the same bytes every time",
    tag: "portability",
    scope: "publish",
    status: 200,
    handler: async ({ ctx, subject, params }) => {
      const bundle = await exportBundle(ctx, subject, params.cube_id, params.version);
      const body = Readable.toWeb(Readable.from(bundle.stream)) as WebReadableStream<Uint8Array>;
      return new Response(body as unknown as ReadableStream<Uint8Array>, {
        status: 200,
        headers: {
          "content-type": "application/x-tar",
          "content-length": String(bundle.size),
          "content-disposition": `attachment; filename="${bundle.filename.replace(/[^\w.@-]/g, "_")}"`,
        },
      });
    },
  }),
  route({
    method: "POST",
    path: "/api/v1/bundles",
    summary:
      "Import a signed bundle (application/x-tar) as a draft version of your cube of its slug (made if you have none): signature, manifest, payload digest and size and license verified against this platform's key, else 422 bundle_invalid naming what failed, with nothing written",
    tag: "portability",
    scope: "publish",
    rawBody: ["application/x-tar"],
    status: 201,
    handler: ({ ctx, subject, request }) => importBundle(ctx, subject, bodyStream(request)),
  }),
];

import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import {
  exportBundle,
  exportMemos,
  exportVault,
  importBundle,
  importMem0,
  importMem0Query,
  importMemos,
  importMemosQuery,
  vaultExportQuery,
} from "@memstore/api/portability";
import type { AppContext } from "@memstore/api";
import { installedCopy, redeemLink } from "@memstore/api/vaults";
import { assertStorable, bodyStream, readBoundedText } from "../body.ts";
import { AppError, jsonDeeperThan } from "@memstore/core";
import { blobResponse } from "../download.ts";
import { publicRoute, route } from "../route.ts";

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
    handler: async ({ ctx, subject, params }) =>
      tarResponse(await exportBundle(ctx, subject, params.cube_id, params.version)),
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
  route({
    method: "GET",
    path: "/api/v1/vaults/{vault_id}/export",
    summary:
      "The vault's memory out of MemStore (format jsonl | memcube | memos): its own memories with every version, and installed text where the listing's terms allow export (terms.export), fingerprinted exactly as search serves it; jsonl streams",
    tag: "portability",
    scope: "vault:read",
    query: vaultExportQuery,
    status: 200,
    handler: async ({ ctx, subject, params, query }) =>
      tarResponse(await exportVault(ctx, subject, params.vault_id, query)),
  }),
  route({
    method: "POST",
    path: "/api/v1/import/memos",
    summary:
      "Import a MemOS cube directory (application/x-tar: config.json, textual_memory.json of the general or tree backend) as a draft version of a plaintext cube (slug, title); activation_memory.pickle → 415 pickle_refused with how to convert it",
    tag: "portability",
    scope: "publish",
    rawBody: ["application/x-tar"],
    query: importMemosQuery,
    status: 201,
    handler: ({ ctx, subject, request, query }) => importMemos(ctx, subject, bodyStream(request), query),
  }),
  route({
    method: "POST",
    path: "/api/v1/import/mem0",
    summary:
      "Import a Mem0 memory export (application/json: get_all's { results } or a list of { id, memory, metadata, user_id, agent_id, … }) as a draft version of a plaintext cube (slug, title)",
    tag: "portability",
    scope: "publish",
    rawBody: ["application/json"],
    query: importMem0Query,
    status: 201,
    handler: async ({ ctx, subject, request, query }) => {
      const text = await readBoundedText(request, ctx.config.MAX_PLAINTEXT_BYTES);
      if (jsonDeeperThan(text)) throw new AppError("invalid_json", "the export nests too deep");
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new AppError("invalid_json", `the export is not valid JSON: ${(error as Error).message}`);
      }
      assertStorable(value);
      return importMem0(ctx, subject, value, query);
    },
  }),
  route({
    method: "GET",
    path: "/api/v1/cubes/{cube_id}/versions/{version}/memos",
    summary:
      "Publisher: a ready plaintext version as a MemOS cube directory (application/x-tar: config.json for the general textual backend, textual_memory.json) that MemOS loads",
    tag: "portability",
    scope: "publish",
    status: 200,
    handler: async ({ ctx, subject, params }) =>
      tarResponse(await exportMemos(ctx, subject, params.cube_id, params.version)),
  }),
  publicRoute({
    method: "GET",
    path: "/api/v1/blob-links/{token}",
    summary:
      "A signed download link, good for 5 minutes (410 link_expired after): one POST …/installs/{install_id}/payload-link made when the store has no URLs of its own (the copy it names), or one MCP's get_payload_link made (a download as its key: judged, counted and fingerprinted then, never once the key is revoked); streamed, Range → 206, ETag",
    tag: "agents",
    status: 200,
    handler: ({ ctx, params, request }) => linkResponse(ctx, request, params.token),
  }),
  publicRoute({
    method: "GET",
    path: "/api/v1/payload-links/{token}",
    summary:
      "The same as GET /api/v1/blob-links/{token}, where MCP's get_payload_link pointed its links before: every signed link is redeemed by the one route",
    tag: "agents",
    status: 200,
    handler: ({ ctx, params, request }) => linkResponse(ctx, request, params.token),
  }),
];

/** An export streamed as a download: a tar unless it says otherwise, its length when known. */
function tarResponse(tar: {
  stream: AsyncIterable<Uint8Array | string>;
  size: number | null;
  filename: string;
  contentType?: string;
}): Response {
  const body = Readable.toWeb(Readable.from(tar.stream)) as WebReadableStream<Uint8Array>;
  return new Response(body as unknown as ReadableStream<Uint8Array>, {
    status: 200,
    headers: {
      "content-type": tar.contentType ?? "application/x-tar",
      ...(tar.size !== null && { "content-length": String(tar.size) }),
      "content-disposition": `attachment; filename="${tar.filename.replace(/[^\w.@-]/g, "_")}"`,
    },
  });
}

/** The download a signed link stands for: the copy it names, or the key's download it carries. */
async function linkResponse(ctx: AppContext, request: Request, token: string): Promise<Response> {
  const link = await redeemLink(ctx, token);
  if (link.kind === "copy") return blobResponse(ctx, request, link.copy);
  const copy = await installedCopy(ctx, link.subject, link.vaultId, link.installId, link.dtype ?? undefined);
  return blobResponse(ctx, request, copy);
}

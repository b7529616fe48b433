import {
  MAX_TRACE_CHARS,
  publisherEncryptionKey,
  traceBinary,
  traceInput,
  traceLeak,
} from "@memstore/api/watermarking";
import { mediaTypesOf, SAFETENSORS, TAR } from "@memstore/core";
import { publicKeyDocument } from "@memstore/watermark/signing";
import { NO_STORE, publicRoute, route } from "../route.ts";
import { bodyStream, readBoundedText, readJson } from "../body.ts";

/** A leaked text is traced from any plaintext payload's media type, or from a file sent as bytes. */
const TEXT_TYPES = [...mediaTypesOf("plaintext"), "application/octet-stream"];
/** A leaked KV snapshot or LoRA pack, as the binary types are uploaded. */
const BINARY_TYPES: Record<string, "safetensors" | "tar"> = { [SAFETENSORS]: "safetensors", [TAR]: "tar" };

export const provenanceRoutes = [
  route({
    method: "POST",
    path: "/api/v1/trace",
    summary: "Which subscribers a leaked text came from (the caller's own cubes only)",
    tag: "publishing",
    scope: "publish",
    body: traceInput,
    rawBody: [...TEXT_TYPES, ...Object.keys(BINARY_TYPES)],
    status: 200,
    handler: async ({ ctx, subject, request }) => {
      const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      // A leaked LoRA pack or KV snapshot, streamed to storage and compared tensor by tensor.
      if (BINARY_TYPES[type]) return traceBinary(ctx, subject, bodyStream(request), BINARY_TYPES[type]);
      let input;
      if (TEXT_TYPES.includes(type)) {
        // A file sent as is: at most MAX_TRACE_CHARS characters of UTF-8 (4 bytes each at worst).
        input = traceInput.parse({ text: await readBoundedText(request, MAX_TRACE_CHARS * 4) });
      } else {
        input = traceInput.parse(await readJson(request));
      }
      return traceLeak(ctx, subject, input);
    },
  }),
  route({
    method: "GET",
    path: "/api/v1/keys/publisher",
    summary: "The organisation's key for values its `encrypt` operator replaced (audited)",
    tag: "keys",
    scope: "admin",
    status: 200,
    headers: NO_STORE,
    handler: ({ ctx, subject }) => publisherEncryptionKey(ctx, subject),
  }),
  publicRoute({
    method: "GET",
    path: "/api/v1/keys/platform",
    summary: "The platform's ed25519 public key, which signs every ready version's manifest",
    tag: "keys",
    status: 200,
    headers: { "cache-control": "public, max-age=3600" },
    handler: async ({ ctx }) => publicKeyDocument(ctx.keys.publicKey),
  }),
];

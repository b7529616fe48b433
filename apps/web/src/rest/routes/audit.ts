import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { auditExportLines, createCheckpoint, listCheckpoints } from "@memstore/api/audit";
import { NO_STORE, route } from "../route.ts";

/** The audit chain taken out, and the platform's signed heads it is checked against. */
export const auditRoutes = [
  route({
    method: "GET",
    path: "/api/v1/audit/export",
    summary:
      "The organisation's audit chain as application/x-ndjson, oldest first: each row with seq, prev_hash and hash (check it with `memstore audit verify`)",
    tag: "audit",
    scope: "admin",
    status: 200,
    handler: async ({ ctx, subject }) => {
      const lines = auditExportLines(ctx, subject);
      const body = Readable.toWeb(Readable.from(lines)) as WebReadableStream<Uint8Array>;
      const day = new Date().toISOString().slice(0, 10);
      return new Response(body as unknown as ReadableStream<Uint8Array>, {
        status: 200,
        headers: {
          "content-type": "application/x-ndjson",
          "content-disposition": `attachment; filename="memstore-audit-${day}.jsonl"`,
          ...NO_STORE,
        },
      });
    },
  }),
  route({
    method: "GET",
    path: "/api/v1/audit/checkpoints",
    summary:
      "The organisation's audit chain heads as the platform signed them (ed25519, at least hourly), oldest first, with the platform key",
    tag: "audit",
    scope: "admin",
    status: 200,
    handler: ({ ctx, subject }) => listCheckpoints(ctx, subject),
  }),
  route({
    method: "POST",
    path: "/api/v1/audit/checkpoints",
    summary: "Have the platform sign the organisation's audit chain head now",
    tag: "audit",
    scope: "admin",
    status: 201,
    handler: ({ ctx, subject }) => createCheckpoint(ctx, subject),
  }),
];

import type { Writable } from "node:stream";
import type { AppContext } from "@memstore/api";
import { problem } from "./problem.ts";

/**
 * Streams a blob as a download with HTTP range support: `ETag` (the content digest: a copy never
 * changes), `If-None-Match` → 304, one `Range` → 206 with `Content-Range`, an unsatisfiable one →
 * 416, `If-Range` honoured. The blob store writes the bytes to the socket itself (no web-stream
 * round trip, a few reused buffers), so memory stays flat and throughput close to the disk's.
 */
const blobBodies = new WeakMap<Response, (destination: Writable) => Promise<void>>();

/** How to write a response's body to the socket, when the blob store sends it. */
export const blobBodyOf = (response: Response) => blobBodies.get(response);

export type Download = { digest: string; size: number; contentType: string; filename: string };

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` as an inclusive [start, end], "unsatisfiable", or null (ignored). */
export function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges (multipart/byteranges) or another unit: serve the whole file, as RFC 9110 allows.
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

export async function blobResponse(ctx: AppContext, request: Request, download: Download): Promise<Response> {
  const etag = `"${download.digest.replace(/^sha256:/, "")}"`;
  const common = {
    etag,
    "accept-ranges": "bytes",
    "cache-control": "private, no-cache",
  };
  const noneMatch = request.headers.get("if-none-match");
  if (noneMatch && noneMatch.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
    return new Response(null, { status: 304, headers: common });
  }
  const ifRange = request.headers.get("if-range");
  const range = ifRange && ifRange !== etag ? null : parseRange(request.headers.get("range"), download.size);
  if (range === "unsatisfiable") {
    return problem(
      "range_not_satisfiable",
      `the range '${request.headers.get("range")}' lies outside the ${download.size} bytes of this payload`,
      {},
      { ...common, "content-range": `bytes */${download.size}` },
    );
  }
  const headers: Record<string, string> = {
    ...common,
    "content-type": download.contentType,
    "content-disposition": `attachment; filename="${download.filename.replace(/[^\w.@-]/g, "_")}"`,
    "content-length": String(range ? range.end - range.start + 1 : download.size),
  };
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${download.size}`;
  const response = new Response(null, { status: range ? 206 : 200, headers });
  if (request.method !== "HEAD" && download.size > 0) {
    blobBodies.set(response, (destination) =>
      ctx.blobs.sendTo(download.digest, destination, range ?? undefined),
    );
  }
  return response;
}

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type AppContext } from "@memstore/api";
import { preparePayloadUpload, uploadPayload, uploadTarget } from "@memstore/api/publishing";
import { AppError, describeError, notFound, type Subject } from "@memstore/core";
import { PICKLE_SNIFF_BYTES, refusePickle } from "@memstore/formats";
import { FileStore } from "@tus/file-store";
import { Server as TusServer } from "@tus/server";
import { problem, problemFrom } from "../rest/problem.ts";

const UPLOADS = "/api/v1/uploads";
/** `POST /api/v1/uploads/{version_id}`: a version's `upload_url`, where tus uploads are created. */
const CREATION = /^\/api\/v1\/uploads\/(ver_[a-z0-9]+)$/;
/** `HEAD|PATCH|DELETE /api/v1/uploads/{version_id}/{upload_id}`: one upload in progress. */
const UPLOAD = /^\/api\/v1\/uploads\/(ver_[a-z0-9]+)\/(ver_[a-z0-9]+-[a-f0-9]+)$/;
const DAY_MS = 24 * 60 * 60 * 1000;
const TUS_HEADERS = { "tus-resumable": "1.0.0" };

export type TusUploads = {
  /** Handles a tus request under /api/v1/uploads, or returns null when the path is not one. */
  handle(request: Request, url: URL): Promise<Response | null>;
  close(): void;
};

/**
 * Resumable payload uploads (tus 1.0: creation, creation-with-upload, termination, expiration).
 * Partial uploads live in `<data dir>/uploads` for a day; when the last byte arrives the file
 * is streamed through the same gate and blob store as a plain PUT, then removed. Every request is
 * authenticated, and an upload is only reachable by the organisation that owns its version.
 */
export function createTusUploads(
  ctx: AppContext,
  authenticate: (request: Request) => Promise<Subject>,
): TusUploads {
  const store = new FileStore({
    directory: join(ctx.config.dataDir, "uploads"),
    expirationPeriodInMilliseconds: DAY_MS,
  });
  const tus = new TusServer({
    path: UPLOADS,
    datastore: store,
    maxSize: Math.max(ctx.config.MAX_PAYLOAD_BYTES, ctx.config.MAX_PLAINTEXT_BYTES),
    // The upload id starts with its version id, so every later request can be checked against it.
    namingFunction: (req) =>
      `${CREATION.exec(new URL(req.url).pathname)![1]}-${randomBytes(16).toString("hex")}`,
    generateUrl: (_req, { id }) => `${UPLOADS}/${id.split("-")[0]}/${id}`,
    disableTerminationForFinishedUploads: true,
  });
  const sweep = setInterval(
    () => {
      tus
        .cleanUpExpiredUploads()
        .catch((error: unknown) => ctx.log(`tus cleanup failed: ${describeError(error)}`));
    },
    60 * 60 * 1000,
  );
  sweep.unref();

  /**
   * A binary payload that starts like a pickle is refused (415) as soon as its first bytes are in,
   * and dropped, rather than after gigabytes more have been sent.
   */
  async function refuseEarlyPickle(cubeType: string, uploadId: string) {
    if (cubeType === "plaintext") return;
    const upload = await store.getUpload(uploadId).catch(() => null);
    if (!upload || upload.offset === 0) return;
    const head: Buffer[] = [];
    let have = 0;
    for await (const chunk of store.read(uploadId) as AsyncIterable<Buffer>) {
      head.push(chunk);
      have += chunk.length;
      if (have >= PICKLE_SNIFF_BYTES) break;
    }
    try {
      refusePickle(null, Buffer.concat(head).subarray(0, Math.min(have, upload.offset, PICKLE_SNIFF_BYTES)));
    } catch (error) {
      await store.remove(uploadId).catch(() => {});
      throw error;
    }
  }

  /** When every byte has arrived: store the payload through the one upload path, then drop the file. */
  async function finishIfComplete(subject: Subject, versionId: string, uploadId: string, response: Response) {
    const upload = await store.getUpload(uploadId).catch(() => null);
    if (!upload || upload.size === undefined || upload.offset !== upload.size) return response;
    let stored: { digest: string; size: number };
    try {
      stored = await uploadPayload(
        ctx,
        subject,
        { versionId },
        store.read(uploadId),
        contentTypeOf(upload.metadata ?? {}),
      );
    } catch (error) {
      // A refused payload is dropped; after any other failure the upload stays for a retry.
      if (error instanceof AppError) await store.remove(uploadId).catch(() => {});
      throw error;
    }
    await store.remove(uploadId);
    if (response.status === 204 || response.status === 201) {
      const headers = new Headers(response.headers);
      headers.set("content-type", "application/json; charset=utf-8");
      return new Response(JSON.stringify(stored), { status: response.status === 201 ? 201 : 200, headers });
    }
    return response;
  }

  async function handle(request: Request, url: URL): Promise<Response | null> {
    const creation = CREATION.exec(url.pathname);
    const upload = UPLOAD.exec(url.pathname);
    if (!creation && !upload && !url.pathname.startsWith(`${UPLOADS}/`)) return null;
    if (request.method === "OPTIONS") return tus.handleWeb(request);
    try {
      if (!creation && !upload) notFound("upload");
      const subject = await authenticate(request);
      if (creation) {
        if (request.method !== "POST") {
          return problem(
            "method_not_allowed",
            `use POST to create a tus upload at ${url.pathname}`,
            {},
            TUS_HEADERS,
          );
        }
        const length = request.headers.get("upload-length");
        if (!length || !/^\d+$/.test(length)) {
          throw new AppError(
            "invalid_input",
            "a tus upload needs Upload-Length; deferred length is not supported",
          );
        }
        const metadata = parseUploadMetadata(request.headers.get("upload-metadata"));
        await preparePayloadUpload(
          ctx,
          subject,
          { versionId: creation[1]! },
          contentTypeOf(metadata),
          Number(length),
        );
        const response = await tus.handleWeb(request);
        const location = response.headers.get("location");
        const uploadId = location?.split("/").pop();
        if (!uploadId || !response.ok) return response;
        const { cubeType } = await uploadTarget(ctx, subject, creation[1]!);
        await refuseEarlyPickle(cubeType, uploadId);
        return await finishIfComplete(subject, creation[1]!, uploadId, response);
      }
      const [, versionId, uploadId] = upload!;
      if (!uploadId!.startsWith(`${versionId}-`)) notFound("upload");
      const { cubeType } = await uploadTarget(ctx, subject, versionId!);
      const response = await tus.handleWeb(request);
      if (!response.ok || (request.method !== "PATCH" && request.method !== "HEAD")) return response;
      if (request.method === "PATCH") await refuseEarlyPickle(cubeType, uploadId!);
      return await finishIfComplete(subject, versionId!, uploadId!, response);
    } catch (error) {
      const response = problemFrom(error, ctx.log);
      for (const [name, value] of Object.entries(TUS_HEADERS)) response.headers.set(name, value);
      return response;
    }
  }

  return { handle, close: () => clearInterval(sweep) };
}

/** tus `Upload-Metadata`: comma-separated `key base64value` pairs. */
export function parseUploadMetadata(header: string | null): Record<string, string | null> {
  const metadata: Record<string, string | null> = {};
  if (!header) return metadata;
  for (const pair of header.split(",")) {
    const [key, value] = pair.trim().split(" ");
    if (!key) continue;
    metadata[key] = value === undefined ? null : Buffer.from(value, "base64").toString("utf8");
  }
  return metadata;
}

/** The payload's media type, as tus clients name it: `content_type`, or Uppy's `filetype`. */
const contentTypeOf = (metadata: Record<string, string | null>) =>
  metadata.content_type ?? metadata.filetype ?? null;

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type AppContext } from "@memstore/api";
import { preparePayloadUpload, uploadPayload, uploadTarget } from "@memstore/api/catalog";
import { AppError, describeError, notFound, type Subject } from "@memstore/core";
import { PICKLE_SNIFF_BYTES, refusePickle } from "@memstore/formats";
import type { S3BlobStore } from "@memstore/storage/s3";
import { FileStore } from "@tus/file-store";
import { Server as TusServer } from "@tus/server";
import { problem, problemFrom } from "../rest/problem.ts";
import type { FinishedS3Store } from "./s3-upload-store.ts";

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
 * Partial uploads live beside the blobs for a day: in `<data dir>/uploads` with the file driver, as
 * S3 multipart uploads (`<upload id>`, `.info` and `.part` keys at the bucket's top level) with the
 * S3 driver, so any app process can take the next PATCH. When the last byte arrives the upload is
 * streamed through the same gate and blob store as a plain PUT, then removed. Every request is
 * authenticated, and an upload is only reachable by the organisation that owns its version.
 */
export function createTusUploads(
  ctx: AppContext,
  authenticate: (request: Request) => Promise<Subject>,
): TusUploads {
  // The store (and with S3 the AWS SDK) is opened on the first upload request, not at start-up.
  let opened: Promise<Opened> | null = null;
  const uploads: Uploads = {
    ctx,
    open: () => (opened ??= uploadStore(ctx).then((store) => ({ store, tus: tusServer(ctx, store) }))),
  };
  const sweep = setInterval(
    () => {
      if (!opened) return;
      void opened
        .then(({ tus }) => tus.cleanUpExpiredUploads())
        .catch((error: unknown) => ctx.log(`tus cleanup failed: ${describeError(error)}`));
    },
    60 * 60 * 1000,
  );
  sweep.unref();
  return {
    handle: (request, url) => handleTus(uploads, authenticate, request, url),
    close: () => clearInterval(sweep),
  };
}

type Opened = { store: FileStore | FinishedS3Store; tus: TusServer };
/** The running system and its upload store, opened on first use. */
type Uploads = { ctx: AppContext; open: () => Promise<Opened> };

function tusServer(ctx: AppContext, store: FileStore | FinishedS3Store) {
  return new TusServer({
    path: UPLOADS,
    datastore: store,
    maxSize: Math.max(ctx.config.MAX_PAYLOAD_BYTES, ctx.config.MAX_PLAINTEXT_BYTES),
    // The upload id starts with its version id, so every later request can be checked against it.
    namingFunction: (req) =>
      `${CREATION.exec(new URL(req.url).pathname)![1]}-${randomBytes(16).toString("hex")}`,
    generateUrl: (_req, { id }) => `${UPLOADS}/${id.split("-")[0]}/${id}`,
    disableTerminationForFinishedUploads: true,
  });
}

async function handleTus(
  uploads: Uploads,
  authenticate: (request: Request) => Promise<Subject>,
  request: Request,
  url: URL,
): Promise<Response | null> {
  const creation = CREATION.exec(url.pathname);
  const upload = UPLOAD.exec(url.pathname);
  if (!creation && !upload && !url.pathname.startsWith(`${UPLOADS}/`)) return null;
  const { tus } = await uploads.open();
  if (request.method === "OPTIONS") return tus.handleWeb(request);
  try {
    if (!creation && !upload) notFound("upload");
    const subject = await authenticate(request);
    if (creation) return await createUpload(uploads, subject, creation[1]!, request, url);
    const [, versionId, uploadId] = upload!;
    return await continueUpload(uploads, subject, versionId!, uploadId!, request);
  } catch (error) {
    const response = problemFrom(error, uploads.ctx.log);
    for (const [name, value] of Object.entries(TUS_HEADERS)) response.headers.set(name, value);
    return response;
  }
}

/** `POST …/uploads/{version_id}`: an upload created (and finished, if its request carried every byte). */
async function createUpload(
  uploads: Uploads,
  subject: Subject,
  versionId: string,
  request: Request,
  url: URL,
) {
  const { ctx } = uploads;
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
    throw new AppError("invalid_input", "a tus upload needs Upload-Length; deferred length is not supported");
  }
  const metadata = parseUploadMetadata(request.headers.get("upload-metadata"));
  await preparePayloadUpload(ctx, subject, { versionId }, contentTypeOf(metadata), Number(length));
  const { cubeType } = await uploadTarget(ctx, subject, versionId);
  const { tus } = await uploads.open();
  const response = await tus.handleWeb(await refuseEarlyPickle(uploads, cubeType, request));
  const uploadId = response.headers.get("location")?.split("/").pop();
  if (!uploadId || !response.ok) return response;
  return finishIfComplete(uploads, subject, versionId, uploadId, response);
}

/** `HEAD|PATCH|DELETE …/uploads/{version_id}/{upload_id}`: an upload in progress, finished by its last byte. */
async function continueUpload(
  uploads: Uploads,
  subject: Subject,
  versionId: string,
  uploadId: string,
  request: Request,
) {
  if (!uploadId.startsWith(`${versionId}-`)) notFound("upload");
  const { cubeType } = await uploadTarget(uploads.ctx, subject, versionId);
  const { tus } = await uploads.open();
  const response = await tus.handleWeb(
    request.method === "PATCH" ? await refuseEarlyPickle(uploads, cubeType, request, uploadId) : request,
  );
  if (!response.ok || (request.method !== "PATCH" && request.method !== "HEAD")) return response;
  return finishIfComplete(uploads, subject, versionId, uploadId, response);
}

/**
 * A binary payload that starts like a pickle is refused (415) from the first bytes of the request
 * that carries its start, before they are stored, and its upload dropped, rather than after
 * gigabytes more have been sent. (Whatever slips past, say a first chunk of a few bytes, is still
 * refused by the payload gate once the upload is complete.)
 */
async function refuseEarlyPickle(
  uploads: Uploads,
  cubeType: string,
  request: Request,
  uploadId?: string,
): Promise<Request> {
  // A PATCH at offset 0, or a creation request carrying the upload's first bytes.
  const start = uploadId ? request.headers.get("upload-offset") === "0" : true;
  if (cubeType === "plaintext" || !start || !request.body) return request;
  const { store } = await uploads.open();
  const sniffed = await sniffBody(request);
  try {
    refusePickle(null, sniffed.head);
  } catch (error) {
    if (uploadId) await store.remove(uploadId).catch(() => {});
    throw error;
  }
  return sniffed.request;
}

/** When every byte has arrived: store the payload through the one upload path, then drop the file. */
async function finishIfComplete(
  uploads: Uploads,
  subject: Subject,
  versionId: string,
  uploadId: string,
  response: Response,
) {
  const { store } = await uploads.open();
  const upload = await store.getUpload(uploadId).catch(() => null);
  if (!upload || upload.size === undefined || upload.offset !== upload.size) return response;
  let stored: { digest: string; size: number };
  try {
    const body = await store.read(uploadId);
    stored = await uploadPayload(
      uploads.ctx,
      subject,
      { versionId },
      body,
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

/** Where uploads in progress live: beside the blobs, on disk or in the S3 bucket. */
async function uploadStore(ctx: AppContext): Promise<FileStore | FinishedS3Store> {
  if (ctx.blobs.driver !== "s3") {
    return new FileStore({
      directory: join(ctx.config.dataDir, "uploads"),
      expirationPeriodInMilliseconds: DAY_MS,
    });
  }
  const { s3UploadStore } = await import("./s3-upload-store.ts");
  return s3UploadStore(ctx.blobs as S3BlobStore, DAY_MS);
}

/**
 * Reads the first bytes of a request body (up to what a pickle check needs) and gives back the
 * head and a request that still carries the whole body.
 */
async function sniffBody(request: Request): Promise<{ head: Buffer; request: Request }> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (have < PICKLE_SNIFF_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    have += value.length;
  }
  const head = Buffer.concat(chunks);
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      if (head.length > 0) controller.enqueue(new Uint8Array(head));
    },
    pull: async (controller) => {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const init: RequestInit & { duplex: "half" } = {
    method: request.method,
    headers: request.headers,
    body,
    duplex: "half",
    signal: request.signal,
  };
  return { head: head.subarray(0, PICKLE_SNIFF_BYTES), request: new Request(request.url, init) };
}

import { Readable } from "node:stream";
import { AppError, mediaTypeOf, mediaTypesOf, payloadFormatOf, type Subject } from "@memstore/core";
import { cubeVersions, organizations } from "@memstore/db";
import { refusingPickle } from "@memstore/formats";
import { and, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { deleteUnlessShared } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";
import { draftBytes } from "./queries.ts";
import { actorOf } from "../kernel/authorize.ts";
import { loadOwnVersion, loadOwnVersionById } from "./versions.ts";

/** Where a payload goes: the caller's own version, by cube and semver or by version id. */
export type VersionRef = { cubeId: string; version: string } | { versionId: string };

/**
 * Checks that a payload of this media type (and declared size, when known) may be attached to a
 * draft version of the caller's organisation. The one gate for streamed and resumable uploads.
 */
export async function preparePayloadUpload(
  ctx: AppContext,
  subject: Subject,
  ref: VersionRef,
  contentType: string | null,
  declaredSize?: number,
) {
  const { cube, version: row } =
    "versionId" in ref
      ? await loadOwnVersionById(ctx.db, subject, "cube.write", ref.versionId)
      : await loadOwnVersion(ctx.db, subject, "cube.write", ref.cubeId, ref.version);
  if (row.status !== "draft") {
    throw new AppError(
      "version_not_draft",
      `version ${row.version} is ${row.status}; a submitted version is immutable`,
    );
  }
  const mediaType = mediaTypeOf(contentType);
  if (!payloadFormatOf(cube.type, mediaType)) {
    throw new AppError(
      "unsupported_media_type",
      `a ${cube.type} payload must be one of ${mediaTypesOf(cube.type).join(", ")}; got '${mediaType || "no Content-Type"}'`,
    );
  }
  const typeMax = cube.type === "plaintext" ? ctx.config.MAX_PLAINTEXT_BYTES : ctx.config.MAX_PAYLOAD_BYTES;
  if (declaredSize !== undefined && declaredSize > typeMax) {
    throw new AppError(
      "payload_too_large",
      `a ${cube.type} payload may be at most ${typeMax} bytes; this one is ${declaredSize}`,
    );
  }
  // What the organisation's other drafts hold leaves this much room; the upload is cut off past it.
  const room =
    ctx.config.DRAFT_STORAGE_BYTES -
    (await draftBytes(ctx.db, { orgId: subject.orgId, exceptVersionId: row.id }));
  if (room <= 0 || (declaredSize !== undefined && declaredSize > room)) throw draftStorageExceeded(ctx, room);
  return { cube, version: row, mediaType, maxBytes: Math.min(typeMax, room), quotaBound: room < typeMax };
}

function draftStorageExceeded(ctx: AppContext, room: number) {
  return new AppError(
    "draft_storage_exceeded",
    `the organisation's drafts may hold ${ctx.config.DRAFT_STORAGE_BYTES} bytes of payloads; ${Math.max(0, room)} are free. Submit or delete drafts, or wait for unsubmitted ones to expire (${ctx.config.DRAFT_PAYLOAD_TTL_HOURS} hours after their upload)`,
    { limit: ctx.config.DRAFT_STORAGE_BYTES, available: Math.max(0, room) },
  );
}

/**
 * Streams a payload into the blob store (hashed on the fly, capped) and attaches it to a draft
 * version. The version row changes only once the whole body is stored.
 */
export async function uploadPayload(
  ctx: AppContext,
  subject: Subject,
  ref: VersionRef,
  body: Readable | AsyncIterable<Uint8Array>,
  contentType: string | null,
  /** The request's Content-Length, when it has one: too large a payload is refused before it is read. */
  declaredSize?: number,
) {
  const {
    cube,
    version: row,
    mediaType,
    maxBytes,
    quotaBound,
  } = await preparePayloadUpload(ctx, subject, ref, contentType, declaredSize);
  // A binary that is really a pickle is refused before a byte of it is stored.
  const stream = cube.type === "plaintext" ? body : Readable.from(refusingPickle(body));
  const stored = await ctx.blobs.put(stream, { maxBytes }).catch((error: unknown) => {
    // Cut off by the drafts' free room rather than the type's limit: say which.
    if (quotaBound && error instanceof AppError && error.code === "payload_too_large") {
      throw draftStorageExceeded(ctx, maxBytes);
    }
    throw error;
  });
  try {
    await attach(ctx, subject, row, stored, mediaType);
  } catch (error) {
    await deleteUnlessShared(ctx, stored.digest);
    throw error;
  }
  return { digest: stored.digest, size: stored.size };
}

/**
 * Attaches a payload already in the blob store (an imported bundle's, verified) to a draft version,
 * through the same checks as an upload: the draft, its media type, the type's and the drafts' limits.
 */
export async function attachStoredPayload(
  ctx: AppContext,
  subject: Subject,
  ref: VersionRef,
  stored: { digest: string; size: number; contentType: string | null },
) {
  const { version: row, mediaType } = await preparePayloadUpload(
    ctx,
    subject,
    ref,
    stored.contentType,
    stored.size,
  );
  await attach(ctx, subject, row, stored, mediaType);
}

/**
 * Attaches a stored payload to the draft, checking the organisation's draft storage again with its
 * organisation row locked: two uploads at once cannot both take the last free bytes.
 */
async function attach(
  ctx: AppContext,
  subject: Subject,
  row: { id: string; version: string },
  stored: { digest: string; size: number },
  mediaType: string,
) {
  await ctx.db.transaction(async (tx) => {
    await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.id, subject.orgId))
      .for("update");
    const room =
      ctx.config.DRAFT_STORAGE_BYTES -
      (await draftBytes(tx, { orgId: subject.orgId, exceptVersionId: row.id }));
    if (stored.size > room) throw draftStorageExceeded(ctx, room);
    const [updated] = await tx
      .update(cubeVersions)
      .set({ digest: stored.digest, size: stored.size, contentType: mediaType, uploadedAt: new Date() })
      .where(and(eq(cubeVersions.id, row.id), eq(cubeVersions.status, "draft")))
      .returning({ id: cubeVersions.id });
    if (!updated) throw new AppError("version_not_draft", `version ${row.version} was submitted meanwhile`);
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "version.payload_uploaded",
      objectType: "cube_version",
      objectId: row.id,
      data: { digest: stored.digest, size: stored.size, content_type: mediaType },
    });
  });
}

/** The type of cube a draft's resumable upload is for (its bytes are sniffed by it); 404 for another tenant's. */
export async function uploadTarget(ctx: AppContext, subject: Subject, versionId: string) {
  const { cube } = await loadOwnVersionById(ctx.db, subject, "cube.write", versionId);
  return { cubeType: cube.type };
}

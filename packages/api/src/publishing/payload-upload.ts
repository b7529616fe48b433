import { Readable } from "node:stream";
import { AppError, mediaTypeOf, mediaTypesOf, payloadFormatOf, type Subject } from "@memstore/core";
import { cubeVersions } from "@memstore/db";
import { refusingPickle } from "@memstore/formats";
import { and, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../context.ts";
import { actorOf } from "../identity/authorize.ts";
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
  const maxBytes = cube.type === "plaintext" ? ctx.config.MAX_PLAINTEXT_BYTES : ctx.config.MAX_PAYLOAD_BYTES;
  if (declaredSize !== undefined && declaredSize > maxBytes) {
    throw new AppError(
      "payload_too_large",
      `a ${cube.type} payload may be at most ${maxBytes} bytes; this one is ${declaredSize}`,
    );
  }
  return { cube, version: row, mediaType, maxBytes };
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
) {
  const {
    cube,
    version: row,
    mediaType,
    maxBytes,
  } = await preparePayloadUpload(ctx, subject, ref, contentType);
  // A binary that is really a pickle is refused before a byte of it is stored.
  const stream = cube.type === "plaintext" ? body : Readable.from(refusingPickle(body));
  const stored = await ctx.blobs.put(stream, { maxBytes });
  await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(cubeVersions)
      .set({ digest: stored.digest, size: stored.size, contentType: mediaType })
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
  return { digest: stored.digest, size: stored.size };
}

/** The type of cube a draft's resumable upload is for (its bytes are sniffed by it); 404 for another tenant's. */
export async function uploadTarget(ctx: AppContext, subject: Subject, versionId: string) {
  const { cube } = await loadOwnVersionById(ctx.db, subject, "cube.write", versionId);
  return { cubeType: cube.type };
}

import { Readable } from "node:stream";
import { AppError, type CubeType, manifestDraftSchema, newId, notFound, type Subject } from "@memstore/core";
import { cubeVersions, type Executor, organizations } from "@memstore/db";
import { refusingPickle } from "@memstore/formats";
import { and, asc, eq } from "drizzle-orm";
import semver from "semver";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../context.ts";
import { actorOf, authorize } from "../identity/authorize.ts";
import { decodeCursor, type PageQuery, toPage } from "../pagination.ts";
import { runsOfVersions } from "../pipeline/runs.ts";
import { versionView } from "../views.ts";
import { loadOwnCube } from "./cubes.ts";
import { createVersionInput } from "./schemas.ts";

export { createVersionInput };

/** Media types accepted per cube type, and the payload format each one means. */
export const PAYLOAD_FORMATS: Record<CubeType, Record<string, string>> = {
  plaintext: {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "text/markdown": "markdown",
    "text/plain": "text",
  },
  activation: { "application/vnd.safetensors": "safetensors" },
  parametric: { "application/x-tar": "peft-tar" },
};

export async function createVersion(
  ctx: AppContext,
  subject: Subject,
  cubeId: string,
  input: z.infer<typeof createVersionInput>,
) {
  authorize(subject, "cube.write", { orgId: subject.orgId });
  return ctx.db.transaction(async (tx) => {
    const cube = await loadOwnCube(tx, subject, cubeId);
    const existing = await tx.select().from(cubeVersions).where(eq(cubeVersions.cubeId, cube.id));
    if (existing.some((v) => v.version === input.version)) {
      throw new AppError("version_exists", `version ${input.version} of '${cube.slug}' already exists`);
    }
    const previous = existing
      .filter((v) => semver.lt(v.version, input.version))
      .sort((a, b) => semver.rcompare(a.version, b.version))[0];
    const [org] = await tx.select().from(organizations).where(eq(organizations.id, subject.orgId));
    const draft = input.manifest ?? manifestDraftSchema.parse({});
    const manifest = {
      schema: "memcube/1",
      publisher: org!.slug,
      cube: cube.slug,
      version: input.version,
      parent: previous?.version ?? null,
      type: cube.type,
      title: cube.title,
      description: cube.description,
      tags: cube.tags,
      language: draft.descriptive.language,
      created: new Date().toISOString(),
      changelog: draft.changelog,
      descriptive: draft.descriptive,
      governance: draft.governance,
      payload: null,
    };
    const [version] = await tx
      .insert(cubeVersions)
      .values({
        id: newId("ver"),
        cubeId: cube.id,
        orgId: subject.orgId,
        version: input.version,
        manifest: JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>,
        parentId: previous?.id ?? null,
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "version.created",
      objectType: "cube_version",
      objectId: version!.id,
      data: { cube_id: cube.id, version: input.version },
    });
    return {
      ...versionView(version!),
      upload_url: `${ctx.config.publicUrl}/api/v1/uploads/${version!.id}`,
    };
  });
}

export async function loadOwnVersion(db: Executor, subject: Subject, cubeId: string, version: string) {
  const cube = await loadOwnCube(db, subject, cubeId);
  const [row] = await db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.cubeId, cube.id), eq(cubeVersions.version, version)));
  if (!row) notFound(`version ${version}`);
  return { cube, version: row };
}

export async function getVersion(ctx: AppContext, subject: Subject, cubeId: string, version: string) {
  authorize(subject, "cube.read", { orgId: subject.orgId });
  const { version: row } = await loadOwnVersion(ctx.db, subject, cubeId, version);
  return versionView(row, await runsOfVersions(ctx.db, [row.id]));
}

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
  authorize(subject, "cube.write", { orgId: subject.orgId });
  const { cube, version: row } =
    "versionId" in ref
      ? await loadOwnVersionById(ctx.db, subject, ref.versionId)
      : await loadOwnVersion(ctx.db, subject, ref.cubeId, ref.version);
  if (row.status !== "draft") {
    throw new AppError(
      "version_not_draft",
      `version ${row.version} is ${row.status}; a submitted version is immutable`,
    );
  }
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (!PAYLOAD_FORMATS[cube.type][mediaType]) {
    const accepted = Object.keys(PAYLOAD_FORMATS[cube.type]);
    throw new AppError(
      "unsupported_media_type",
      accepted.length
        ? `a ${cube.type} payload must be one of ${accepted.join(", ")}; got '${mediaType || "no Content-Type"}'`
        : `${cube.type} payloads cannot be processed by this MemStore yet`,
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

export async function loadOwnVersionById(db: Executor, subject: Subject, versionId: string) {
  const [row] = await db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.id, versionId), eq(cubeVersions.orgId, subject.orgId)));
  if (!row) notFound("version");
  return { cube: await loadOwnCube(db, subject, row.cubeId), version: row };
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

/** Puts a version into `processing` (submitted now, with this manifest if given) and audits it. */
export async function markSubmitted(
  tx: Executor,
  subject: Subject,
  versionId: string,
  data: Record<string, unknown>,
  manifest?: Record<string, unknown>,
) {
  await tx
    .update(cubeVersions)
    .set({ status: "processing", submittedAt: new Date(), ...(manifest ? { manifest } : {}) })
    .where(eq(cubeVersions.id, versionId));
  await recordAudit(tx, {
    orgId: subject.orgId,
    actor: actorOf(subject),
    action: "version.submitted",
    objectType: "cube_version",
    objectId: versionId,
    data,
  });
}

/** Freezes a draft and starts its pipeline: 202 `processing`. */
export async function submitVersion(ctx: AppContext, subject: Subject, cubeId: string, version: string) {
  authorize(subject, "cube.write", { orgId: subject.orgId });
  const { cube, version: row } = await ctx.db.transaction(async (tx) => {
    const found = await loadOwnVersion(tx, subject, cubeId, version);
    const v = found.version;
    if (v.status !== "draft")
      throw new AppError("version_not_draft", `version ${version} is already ${v.status}`);
    if (!v.digest || v.size === null)
      throw new AppError("payload_missing", "upload a payload before submitting");
    const format = PAYLOAD_FORMATS[found.cube.type][v.contentType ?? ""] ?? "unknown";
    const manifest = { ...v.manifest, payload: { format, digest: v.digest, size: v.size } };
    await markSubmitted(tx, subject, v.id, { digest: v.digest }, manifest);
    return found;
  });
  try {
    await ctx.jobs.enqueue("ingest", { versionId: row.id });
  } catch (error) {
    // Without a queued job the version would wait forever: put it back to draft and say why.
    await ctx.db
      .update(cubeVersions)
      .set({ status: "draft", submittedAt: null })
      .where(eq(cubeVersions.id, row.id));
    throw new AppError("dependency_down", `the job queue is unavailable: ${(error as Error).message}`);
  }
  ctx.log(`version ${cube.slug}@${version} submitted`);
  return { status: "processing" as const };
}

export async function listVersions(ctx: AppContext, subject: Subject, cubeId: string, page: PageQuery) {
  authorize(subject, "cube.read", { orgId: subject.orgId });
  const cube = await loadOwnCube(ctx.db, subject, cubeId);
  const rows = await ctx.db
    .select()
    .from(cubeVersions)
    .where(eq(cubeVersions.cubeId, cube.id))
    .orderBy(asc(cubeVersions.createdAt), asc(cubeVersions.id))
    .limit(page.limit + 1)
    .offset(decodeCursor(page.cursor));
  // Each version with its processing runs, so a rejection's report is one look away.
  const runs = await runsOfVersions(
    ctx.db,
    rows.map((v) => v.id),
  );
  return toPage(
    rows.map((v) =>
      versionView(
        v,
        runs.filter((r) => r.versionId === v.id),
      ),
    ),
    page,
  );
}

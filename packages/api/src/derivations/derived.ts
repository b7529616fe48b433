import { Readable } from "node:stream";
import {
  AppError,
  type CubeType,
  describeError,
  manifestDraftSchema,
  slugSchema,
  type Subject,
} from "@memstore/core";
import { cubes } from "@memstore/db";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { createCube } from "../catalog/cubes.ts";
import { cubeWithSlug } from "../catalog/queries.ts";
import { uploadPayload } from "../catalog/payload-upload.ts";
import { markSubmitted, submitVersion } from "../catalog/submit.ts";
import { createVersion, loadOwnVersion } from "../catalog/versions.ts";

/**
 * Cubes made from other cubes by a user action (plaintext → KV snapshot, LoRA merge, rank
 * reduction): the sources are the organisation's own ready versions, and the result is published
 * as a new cube's 1.0.0, submitted, so it goes through the same pipeline (and validation) as an
 * upload. Work too long for a request (a model run) is queued: the version is `processing` from the
 * start, and the job attaches its payload and hands it to `ingest`.
 */

type DerivedCube = { slug: string; title: string; type: CubeType; description: string; tags: string[] };

/** What every derivation request names: the new cube. */
export const derivedCubeFields = {
  slug: slugSchema,
  title: z.string().trim().min(1).max(200),
};

/** One of the organisation's own ready versions of a cube of this type. */
export async function loadReadySource(
  ctx: AppContext,
  subject: Subject,
  ref: { cubeId: string; version: string },
  type: CubeType,
  /** Why the type matters, for the error when it is not. */
  purpose: string,
) {
  const { cube, version } = await loadOwnVersion(ctx.db, subject, "cube.read", ref.cubeId, ref.version);
  if (cube.type !== type) {
    throw new AppError("invalid_input", `cube '${cube.slug}' is ${cube.type}; ${purpose}`);
  }
  if (version.status !== "ready") {
    throw new AppError(
      "conflict",
      `version ${version.version} of '${cube.slug}' is ${version.status}, not ready`,
    );
  }
  return { cube, version };
}

/** Checked before the work, so a taken slug costs no model run (callers have authorised `cube.write`). */
export async function assertSlugFree(ctx: AppContext, subject: Subject, slug: string) {
  if (await cubeWithSlug(ctx.db, { orgId: subject.orgId, slug }))
    throw new AppError("slug_taken", `a cube with slug '${slug}' already exists in this organisation`);
}

/** Creates the cube, its 1.0.0 with this payload, and submits it. */
export async function publishDerived(
  ctx: AppContext,
  subject: Subject,
  cube: DerivedCube,
  payload: AsyncIterable<Uint8Array>,
  contentType: string,
) {
  const created = await createCube(ctx, subject, cube);
  await createVersion(ctx, subject, created.id, { version: "1.0.0" });
  await uploadPayload(
    ctx,
    subject,
    { cubeId: created.id, version: "1.0.0" },
    Readable.from(payload),
    contentType,
  );
  await submitVersion(ctx, subject, created.id, "1.0.0");
  return { cube_id: created.id, slug: created.slug, version: "1.0.0" };
}

/**
 * Creates the cube and its 1.0.0, `processing`, with the derivation in its manifest's `descriptive`
 * (`origin: "derived"`, `source`, `metadata.derivation`), and queues the job that makes its payload.
 * When the queue is down nothing is left behind: the cube is deleted and the caller told why.
 */
export async function queueDerived(
  ctx: AppContext,
  subject: Subject,
  cube: DerivedCube,
  derivation: { source: string; changelog: string; metadata: Record<string, unknown> },
  job: "derive-kv",
) {
  const created = await createCube(ctx, subject, cube);
  const manifest = manifestDraftSchema.parse({
    changelog: derivation.changelog,
    descriptive: {
      origin: "derived",
      source: derivation.source,
      metadata: { derivation: derivation.metadata },
    },
  });
  const version = await createVersion(ctx, subject, created.id, { version: "1.0.0", manifest });
  await ctx.db.transaction((tx) =>
    markSubmitted(tx, subject, version.id, { derivation: derivation.metadata }),
  );
  try {
    await ctx.jobs.enqueue(job, { versionId: version.id });
  } catch (error) {
    await ctx.db.delete(cubes).where(eq(cubes.id, created.id));
    throw new AppError("dependency_down", `the job queue is unavailable: ${describeError(error)}`);
  }
  return { cube_id: created.id, slug: created.slug, version: "1.0.0", status: "processing" as const };
}

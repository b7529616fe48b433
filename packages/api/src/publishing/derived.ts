import { Readable } from "node:stream";
import { AppError, type CubeType, slugSchema, type Subject } from "@memstore/core";
import { cubes } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { createCube } from "./cubes.ts";
import { createVersion, loadOwnVersion, submitVersion, uploadPayload } from "./versions.ts";

/**
 * Cubes made from other cubes by a user action (plaintext → KV snapshot, LoRA merge, rank
 * reduction): the sources are the organisation's own ready versions, and the result is published
 * as a new cube's 1.0.0, submitted, so it goes through the same pipeline (and validation) as an
 * upload.
 */

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
  const { cube, version } = await loadOwnVersion(ctx.db, subject, ref.cubeId, ref.version);
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
  const [taken] = await ctx.db
    .select({ id: cubes.id })
    .from(cubes)
    .where(and(eq(cubes.orgId, subject.orgId), eq(cubes.slug, slug)));
  if (taken)
    throw new AppError("slug_taken", `a cube with slug '${slug}' already exists in this organisation`);
}

/** Creates the cube, its 1.0.0 with this payload, and submits it. */
export async function publishDerived(
  ctx: AppContext,
  subject: Subject,
  cube: { slug: string; title: string; type: CubeType; description: string; tags: string[] },
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

import { AppError, type Manifest, manifestDraftSchema, newId, notFound, type Subject } from "@memstore/core";
import { cubeVersions, type Executor, organizations } from "@memstore/db";
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
    const manifest: Manifest = {
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
        manifest,
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

export async function loadOwnVersionById(db: Executor, subject: Subject, versionId: string) {
  const [row] = await db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.id, versionId), eq(cubeVersions.orgId, subject.orgId)));
  if (!row) notFound("version");
  return { cube: await loadOwnCube(db, subject, row.cubeId), version: row };
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

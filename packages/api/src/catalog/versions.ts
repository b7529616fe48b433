import {
  type Action,
  AppError,
  type Manifest,
  manifestDraftSchema,
  newId,
  type Subject,
} from "@memstore/core";
import { cubeVersions, type Executor } from "@memstore/db";
import semver from "semver";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { organizationById } from "../identity/queries.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { runsOfVersions } from "../pipeline/queries.ts";
import { versionView } from "../kernel/views.ts";
import { loadOwnCube } from "./cubes.ts";
import { createVersionInput } from "./schemas.ts";
import { versionNamed, versionOfOrg, versionPage, versionsOf } from "./queries.ts";

export { createVersionInput };

export async function createVersion(
  ctx: AppContext,
  subject: Subject,
  cubeId: string,
  input: z.infer<typeof createVersionInput>,
) {
  authorize(subject, "cube.write");
  return ctx.db.transaction(async (tx) => {
    const cube = await loadOwnCube(tx, subject, "cube.write", cubeId);
    const existing = await versionsOf(tx, { cubeId: cube.id });
    if (existing.some((v) => v.version === input.version)) {
      throw new AppError("version_exists", `version ${input.version} of '${cube.slug}' already exists`);
    }
    const previous = existing
      .filter((v) => semver.lt(v.version, input.version))
      .sort((a, b) => semver.rcompare(a.version, b.version))[0];
    const org = await organizationById(tx, { orgId: subject.orgId });
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

/** The org's version of its cube by semver, for `action`; 404 for a missing one or another tenant's. */
export async function loadOwnVersion(
  db: Executor,
  subject: Subject,
  action: Action,
  cubeId: string,
  version: string,
) {
  const cube = await loadOwnCube(db, subject, action, cubeId);
  const row = await loadAuthorized(
    subject,
    action,
    `version ${version}`,
    () => versionNamed(db, { cubeId: cube.id, version }),
    orgOf,
  );
  return { cube, version: row };
}

export async function getVersion(ctx: AppContext, subject: Subject, cubeId: string, version: string) {
  const { version: row } = await loadOwnVersion(ctx.db, subject, "cube.read", cubeId, version);
  return versionView(row, await runsOfVersions(ctx.db, { versionIds: [row.id] }));
}

/** The org's version by id (a tus upload names only that), for `action`. */
export async function loadOwnVersionById(db: Executor, subject: Subject, action: Action, versionId: string) {
  const row = await loadAuthorized(
    subject,
    action,
    "version",
    () => versionOfOrg(db, { orgId: subject.orgId, versionId }),
    orgOf,
  );
  return { cube: await loadOwnCube(db, subject, action, row.cubeId), version: row };
}

export async function listVersions(ctx: AppContext, subject: Subject, cubeId: string, page: PageQuery) {
  const cube = await loadOwnCube(ctx.db, subject, "cube.read", cubeId);
  const rows = await versionPage(ctx.db, { cubeId: cube.id, page });
  // Each version with its processing runs, so a rejection's report is one look away.
  const versions = authorizedRows(subject, "cube.read", rows, orgOf);
  const runs = await runsOfVersions(ctx.db, { versionIds: versions.map((v) => v.id) });
  return toPage(
    versions.map((v) =>
      versionView(
        v,
        runs.filter((r) => r.versionId === v.id),
      ),
    ),
    page,
  );
}

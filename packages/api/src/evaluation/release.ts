import { AppError, type Subject } from "@memstore/core";
import { cubeVersions } from "@memstore/db";
import { and, eq, isNotNull } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { loadOwnVersion } from "../catalog/versions.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { versionView } from "../kernel/views.ts";
import { relayEventsAfterCommit, writeVersionPublished } from "../outbox/outbox.ts";
import { runsOfVersions } from "../pipeline/queries.ts";

/**
 * `POST /api/v1/cubes/{cube_id}/versions/{version}/release`: the publisher confirms a version its
 * evaluation held. From the commit it is offered like any other, and `version.published` goes out
 * as it would have when it turned ready — auto-updating installs move to it then. Audited.
 */
export async function releaseVersion(ctx: AppContext, subject: Subject, cubeId: string, version: string) {
  authorize(subject, "cube.write");
  const { cube, version: row } = await loadOwnVersion(ctx.db, subject, "cube.write", cubeId, version);
  if (row.status !== "ready") {
    throw new AppError(
      "conflict",
      `version ${row.version} is ${row.status}; only a ready version is released`,
    );
  }
  const done = await ctx.db.transaction(async (tx) => {
    const [released] = await tx
      .update(cubeVersions)
      .set({ heldAt: null, heldReason: null })
      .where(and(eq(cubeVersions.id, row.id), isNotNull(cubeVersions.heldAt)))
      .returning();
    if (!released) throw new AppError("conflict", `version ${row.version} is not held`);
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "version.released",
      objectType: "cube_version",
      objectId: row.id,
      data: { cube_id: cube.id, version: row.version, held_because: row.heldReason },
    });
    return { released, events: await writeVersionPublished(tx, row.id) };
  });
  await relayEventsAfterCommit(ctx, done.events);
  return versionView(done.released, await runsOfVersions(ctx.db, { versionIds: [row.id] }));
}

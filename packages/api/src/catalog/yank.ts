import { AppError, type Subject } from "@memstore/core";
import { cubeVersions, type Executor, type VersionRow } from "@memstore/db";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf } from "../kernel/authorize.ts";
import { writeStoreVersionEvents } from "../outbox/outbox.ts";
import type { yankVersionInput } from "./schemas.ts";
import { loadOwnVersion } from "./versions.ts";

/**
 * A publisher yanks a ready version of its cube: it can no longer be installed, its listing shows
 * the tombstone, and `version.yanked` goes to the listing's subscribers, in one transaction. What
 * that does to installs on it is the vaults' business (`yankVersion` there calls this).
 */
export async function markYanked(
  tx: Executor,
  subject: Subject,
  at: { cubeId: string; version: string },
  input: z.infer<typeof yankVersionInput>,
): Promise<{ version: VersionRow; eventIds: string[] }> {
  const { version } = await loadOwnVersion(tx, subject, "cube.write", at.cubeId, at.version);
  if (version.status !== "ready") {
    throw new AppError(
      "conflict",
      `version ${at.version} is ${version.status}: only a ready version can be yanked`,
    );
  }
  const [yanked] = await tx
    .update(cubeVersions)
    .set({ yankedAt: new Date(), yankReason: input.reason, yankSeverity: input.severity })
    .where(and(eq(cubeVersions.id, version.id), isNull(cubeVersions.yankedAt)))
    .returning();
  if (!yanked) throw new AppError("conflict", `version ${at.version} is already yanked`);
  await auditYank(tx, subject, yanked, "version.yanked", { reason: input.reason, severity: input.severity });
  return { version: yanked, eventIds: await writeStoreVersionEvents(tx, "version.yanked", yanked.id) };
}

/** Unyank: the version is installable again. Installs that moved off it stay where they went. */
export async function markUnyanked(
  tx: Executor,
  subject: Subject,
  at: { cubeId: string; version: string },
): Promise<{ version: VersionRow; was: VersionRow }> {
  const { version: was } = await loadOwnVersion(tx, subject, "cube.write", at.cubeId, at.version);
  const [version] = await tx
    .update(cubeVersions)
    .set({ yankedAt: null, yankReason: null, yankSeverity: null })
    .where(and(eq(cubeVersions.id, was.id), isNotNull(cubeVersions.yankedAt)))
    .returning();
  if (!version) throw new AppError("conflict", `version ${at.version} is not yanked`);
  await auditYank(tx, subject, version, "version.unyanked", {
    reason: was.yankReason,
    severity: was.yankSeverity,
  });
  return { version, was };
}

function auditYank(
  tx: Executor,
  subject: Subject,
  version: VersionRow,
  action: "version.yanked" | "version.unyanked",
  data: Record<string, unknown>,
) {
  return recordAudit(tx, {
    orgId: subject.orgId,
    actor: actorOf(subject),
    action,
    objectType: "cube_version",
    objectId: version.id,
    data: { cube_id: version.cubeId, version: version.version, ...data },
  });
}

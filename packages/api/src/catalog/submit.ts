import {
  AppError,
  describeError,
  firstStage,
  type Manifest,
  payloadFormatOf,
  type Subject,
} from "@memstore/core";
import { cubeVersions, type Executor } from "@memstore/db";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { enqueueStage } from "../pipeline/stage-runner.ts";
import { loadOwnVersion } from "./versions.ts";

/** Puts a version into `processing` (submitted now, with this manifest if given) and audits it. */
export async function markSubmitted(
  tx: Executor,
  subject: Subject,
  versionId: string,
  data: Record<string, unknown>,
  manifest?: Manifest,
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
  authorize(subject, "cube.write");
  const { cube, version: row } = await ctx.db.transaction(async (tx) => {
    const found = await loadOwnVersion(tx, subject, "cube.write", cubeId, version);
    const v = found.version;
    if (v.status !== "draft")
      throw new AppError("version_not_draft", `version ${version} is already ${v.status}`);
    if (!v.digest || v.size === null)
      throw new AppError("payload_missing", "upload a payload before submitting");
    const format = payloadFormatOf(found.cube.type, v.contentType) ?? "unknown";
    const manifest = { ...v.manifest, payload: { format, digest: v.digest, size: v.size } };
    await markSubmitted(tx, subject, v.id, { digest: v.digest }, manifest);
    return found;
  });
  try {
    await enqueueStage(ctx, row.id, firstStage(cube.type));
  } catch (error) {
    // Without a queued job the version would wait forever: put it back to draft and say why.
    await ctx.db
      .update(cubeVersions)
      .set({ status: "draft", submittedAt: null })
      .where(eq(cubeVersions.id, row.id));
    throw new AppError("dependency_down", `the job queue is unavailable: ${describeError(error)}`);
  }
  ctx.log(`version ${cube.slug}@${version} submitted`);
  return { status: "processing" as const };
}

import { cubeVersions, type VersionRow } from "@memstore/db";
import { keyIdOf, signManifest } from "@memstore/watermark/signing";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit, writeVersionPublished } from "../outbox/outbox.ts";
import { finishRun } from "./runs.ts";
import { FINISHED_IN_TRANSACTION, type StageResult, type StageRun } from "./stage-runner.ts";

/**
 * The `sign` stage, every type's last: the platform's ed25519 signature over the canonical JSON
 * (RFC 8785) of the final manifest (payload digest, desensitised digest and embedding included). The
 * version turns `ready` in the same transaction as its run finishes, with the event that tells its
 * subscribers.
 */
export async function signVersion(ctx: AppContext, version: VersionRow, run: StageRun): Promise<StageResult> {
  const signature = signManifest(version.manifest, ctx.keys.signingKey);
  const events = await ctx.db.transaction(async (tx) => {
    const [readied] = await tx
      .update(cubeVersions)
      .set({ status: "ready", readyAt: new Date(), signature })
      .where(and(eq(cubeVersions.id, version.id), eq(cubeVersions.status, "processing")))
      .returning({ id: cubeVersions.id });
    await finishRun(tx, run.id, "succeeded", {
      alg: "ed25519",
      key_id: keyIdOf(ctx.keys.publicKey),
      duration_ms: Date.now() - run.started,
    });
    // A new version of a cube already in the store is news for its subscribers — once released,
    // when its evaluation held it (see releaseVersion).
    return readied && !version.heldAt ? writeVersionPublished(tx, version.id) : [];
  });
  await relayEventsAfterCommit(ctx, events);
  return FINISHED_IN_TRANSACTION;
}

import { describeError, stagesOf } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { stuckVersions } from "./queries.ts";
import { redriveStage } from "./stage-runner.ts";

/**
 * The database is the source of truth for where a version is. A version `processing` with no
 * activity (submission, a run starting or ending) for PIPELINE_LEASE_MS may have lost its job — to a
 * Redis restart without persistence, a crash between a stage's end and its hand-off, a failed
 * enqueue. Each such version's next stage is queued again unless its job is still live; stages are
 * idempotent, so a version re-driven that did not need it only repeats work. Returns the versions
 * re-driven.
 */
export async function redriveStuckVersions(ctx: AppContext, now = new Date()): Promise<string[]> {
  const before = new Date(now.getTime() - ctx.config.PIPELINE_LEASE_MS);
  const stuck = await stuckVersions(ctx.db, { before, limit: 500 });
  const redriven: string[] = [];
  for (const version of stuck) {
    // A derived version has no payload until its derivation made one; then the first stage not done.
    const done = new Set(version.done);
    const next = version.has_payload
      ? (stagesOf(version.type).find((s) => !done.has(s)) ?? "sign")
      : "derive";
    try {
      if ((await redriveStage(ctx, version.id, next)) === "queued") {
        redriven.push(version.id);
        ctx.log(`pipeline sweep: ${version.id} had no live ${next} job; queued it again`);
      }
    } catch (error) {
      // The queue is down: the next sweep tries again.
      ctx.log(`pipeline sweep: could not re-drive ${version.id}: ${describeError(error)}`);
      break;
    }
  }
  return redriven;
}

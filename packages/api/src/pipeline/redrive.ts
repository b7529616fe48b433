import { type CubeType, describeError, type RunKind, stagesOf } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
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
  const stuck = await queryRows<{ id: string; type: CubeType; has_payload: boolean; done: RunKind[] }>(
    ctx.db,
    sql`select v.id, c.type, v.digest is not null as has_payload,
          coalesce(array_agg(r.kind) filter (where r.status = 'succeeded'), '{}') as done
        from cube_versions v
        join cubes c on c.id = v.cube_id
        left join processing_runs r on r.version_id = v.id
        where v.status = 'processing'
        group by v.id, c.type
        having greatest(max(coalesce(v.submitted_at, v.created_at)), max(r.started_at), max(r.finished_at)) < ${before}
        order by max(coalesce(v.submitted_at, v.created_at))
        limit 500`,
  );
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

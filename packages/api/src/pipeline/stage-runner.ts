import { describeError, firstStage, isOutage, nextStage, type RunKind, type Stage } from "@memstore/core";
import type { VersionRow } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { InputRejected } from "./input-rejected.ts";
import { processingVersion } from "./queries.ts";
import { finishRun, rejectVersion, startRun } from "./runs.ts";

export type Report = Record<string, unknown>;
export type StageRun = { id: string; started: number };

/** What a stage returns when it finished its run itself, in the transaction that changed the version. */
export const FINISHED_IN_TRANSACTION = Symbol("finished in transaction");
export type StageResult = Report | typeof FINISHED_IN_TRANSACTION;
export type StageWork = (version: VersionRow, run: StageRun) => Promise<StageResult>;
/** Whether this run is the job's last: its queue will not retry a failure. */
export type StageAttempt = { finalAttempt?: boolean };

/**
 * Runs one stage (or the derivation) of a version that is still `processing`: records its
 * processing_run, rejects the version when the work throws InputRejected (bad input, residual PII),
 * and leaves a failed run to retry for anything else (an outage) — unless this is the final
 * attempt, when the version is rejected with the last error: no version waits for a retry that
 * will not come (an outage excepted). When the work succeeds, the next
 * stage of the version's type, as @memstore/core declares it, is queued; after a derivation, the
 * first. `workOf` says what the stage is for this version, or null when its type has no such stage.
 */
export async function runStage(
  ctx: AppContext,
  versionId: string,
  kind: RunKind,
  { finalAttempt = false }: StageAttempt,
  workOf: (version: VersionRow) => StageWork | null,
): Promise<"done" | "rejected" | "skipped"> {
  const version = await processingVersion(ctx.db, { versionId });
  if (!version) return "skipped";
  const work = workOf(version);
  if (!work) return "skipped";
  const run = { ...(await startRun(ctx.db, versionId, kind)), started: Date.now() };
  let result: StageResult;
  try {
    result = await work(version, run);
  } catch (error) {
    if (error instanceof InputRejected) {
      await rejectVersion(ctx.db, versionId, run.id, error.rejection, {
        ...error.report,
        duration_ms: Date.now() - run.started,
      });
      return "rejected";
    }
    const duration_ms = Date.now() - run.started;
    // An outage is not the version's fault: it stays processing, and the pipeline sweep re-drives
    // it once the dependency is back.
    if (finalAttempt && !isOutage(error)) {
      const message = `${kind} failed ${run.attempts} times; the last error: ${describeError(error)}`;
      const rejection = { code: "stage_failed", message, attempts: run.attempts };
      await rejectVersion(ctx.db, versionId, run.id, rejection, { duration_ms });
      return "rejected";
    }
    await finishRun(ctx.db, run.id, "failed", {
      error: { code: "internal", message: describeError(error) },
      retrying: true,
      duration_ms,
    });
    throw error;
  }
  if (result !== FINISHED_IN_TRANSACTION) {
    await finishRun(ctx.db, run.id, "succeeded", { ...result, duration_ms: Date.now() - run.started });
  }
  const type = version.manifest.type;
  const next = kind === "derive" ? firstStage(type) : nextStage(type, kind);
  if (next) await enqueueStage(ctx, versionId, next);
  return "done";
}

/** Queues a stage of a version's pipeline; validation goes to the GPU queue while a GPU worker is connected. */
export async function enqueueStage(ctx: AppContext, versionId: string, stage: Stage): Promise<void> {
  if (stage === "validate" && (await ctx.jobs.hasConsumers("validate-gpu"))) {
    await ctx.jobs.enqueue("validate-gpu", { versionId });
  } else {
    await ctx.jobs.enqueue(stage, { versionId });
  }
}

/**
 * Queues a stage of a version again unless its job is live (on either validation queue); "derive"
 * is a derived version's derivation. What the pipeline sweep does for a version whose job was lost.
 */
export async function redriveStage(
  ctx: AppContext,
  versionId: string,
  stage: Stage | "derive",
): Promise<"live" | "queued"> {
  const payload = { versionId };
  if (stage === "derive") return ctx.jobs.redrive("derive-kv", payload);
  if (stage === "validate" && (await ctx.jobs.live("validate-gpu", payload))) return "live";
  if (stage === "validate" && (await ctx.jobs.hasConsumers("validate-gpu"))) {
    if (await ctx.jobs.live("validate", payload)) return "live";
    return ctx.jobs.redrive("validate-gpu", payload);
  }
  return ctx.jobs.redrive(stage, payload);
}

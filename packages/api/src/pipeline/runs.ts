import { newId } from "@memstore/core";
import { cubeVersions, type Executor, processingRuns, sql } from "@memstore/db";
import { asc, eq, inArray } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import { InputRejected } from "./source-lines.ts";

/**
 * One processing_run per (version, stage). Starting a stage again (a retry, a second worker after a
 * crash) reuses the row and counts the attempt, so the report always shows the last outcome.
 */
export async function startRun(db: Executor, versionId: string, kind: string): Promise<string> {
  const [row] = await db
    .insert(processingRuns)
    .values({ id: newId("run"), versionId, kind, status: "running", attempts: 1 })
    .onConflictDoUpdate({
      target: [processingRuns.versionId, processingRuns.kind],
      set: {
        status: "running",
        attempts: sql`${processingRuns.attempts} + 1`,
        startedAt: new Date(),
        finishedAt: null,
      },
    })
    .returning({ id: processingRuns.id });
  return row!.id;
}

/** Every processing run of these versions, in the order they started (none asked, none read). */
export async function runsOfVersions(db: Executor, versionIds: string[]) {
  if (versionIds.length === 0) return [];
  return db
    .select()
    .from(processingRuns)
    .where(inArray(processingRuns.versionId, versionIds))
    .orderBy(asc(processingRuns.startedAt));
}

export async function finishRun(
  db: Executor,
  runId: string,
  status: "succeeded" | "failed",
  report: Record<string, unknown>,
): Promise<void> {
  await db
    .update(processingRuns)
    .set({ status, report, finishedAt: new Date() })
    .where(eq(processingRuns.id, runId));
}

/** What is wrong and where: a line or byte offset of a text, a tensor, a tar path or a config field. */
export type Rejection = { code: string; message: string } & Record<string, unknown>;

/** Marks a version rejected and its stage failed with a report naming what is wrong and where. */
export async function rejectVersion(
  db: Executor,
  versionId: string,
  runId: string,
  rejection: Rejection,
  report: Record<string, unknown> = {},
): Promise<void> {
  await db.transaction(async (tx) => {
    await finishRun(tx, runId, "failed", { ...report, error: rejection });
    await tx.update(cubeVersions).set({ status: "rejected" }).where(eq(cubeVersions.id, versionId));
  });
}

type VersionRow = typeof cubeVersions.$inferSelect;
type NextStage = "ingest" | "desensitise" | "convert" | "embed" | "validate" | "sign";

/** What a stage's work ends with: its report and the stage to enqueue next (none: it finished the version). */
export type StageOutcome = { report: Record<string, unknown>; next?: NextStage } | "finished-in-transaction";

/**
 * Runs one pipeline stage of a version that is still `processing`: records its processing_run,
 * rejects the version when the stage throws InputRejected (bad input, residual PII), and leaves a
 * failed run to retry for anything else (an outage). A stage that finishes its run inside its own
 * transaction (with the version's status) says so by returning "finished-in-transaction".
 */
export async function runStage(
  ctx: AppContext,
  versionId: string,
  kind: string,
  work: (version: VersionRow, run: { id: string; started: number }) => Promise<StageOutcome>,
): Promise<"done" | "rejected" | "skipped"> {
  const [version] = await ctx.db.select().from(cubeVersions).where(eq(cubeVersions.id, versionId));
  if (version?.status !== "processing") return "skipped";
  const run = { id: await startRun(ctx.db, versionId, kind), started: Date.now() };
  let outcome: StageOutcome;
  try {
    outcome = await work(version, run);
  } catch (error) {
    if (error instanceof InputRejected) {
      await rejectVersion(ctx.db, versionId, run.id, error.rejection, {
        ...error.report,
        duration_ms: Date.now() - run.started,
      });
      return "rejected";
    }
    await finishRun(ctx.db, run.id, "failed", {
      error: { code: "internal", message: String(error) },
      retrying: true,
    });
    throw error;
  }
  if (outcome !== "finished-in-transaction") {
    await finishRun(ctx.db, run.id, "succeeded", {
      ...outcome.report,
      duration_ms: Date.now() - run.started,
    });
    if (outcome.next === "validate" && (await ctx.jobs.hasConsumers("validate-gpu"))) {
      await ctx.jobs.enqueue("validate-gpu", { versionId });
    } else if (outcome.next) {
      await ctx.jobs.enqueue(outcome.next, { versionId });
    }
  }
  return "done";
}

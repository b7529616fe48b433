import { newId, type RunKind, storableJson } from "@memstore/core";
import { cubeVersions, type Executor, processingRuns, sql } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { Rejection } from "./input-rejected.ts";

/**
 * One processing_run per (version, kind). Starting a stage again (a retry, a second worker after a
 * crash) reuses the row and counts the attempt, so the report always shows the last outcome.
 */
export async function startRun(
  db: Executor,
  versionId: string,
  kind: RunKind,
): Promise<{ id: string; attempts: number }> {
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
    .returning({ id: processingRuns.id, attempts: processingRuns.attempts });
  return row!;
}

export async function finishRun(
  db: Executor,
  runId: string,
  status: "succeeded" | "failed",
  report: Record<string, unknown>,
): Promise<void> {
  await db
    .update(processingRuns)
    // A report may quote the payload it judged (a line, a tensor name): stored whatever that held.
    .set({ status, report: storableJson(report), finishedAt: new Date() })
    .where(eq(processingRuns.id, runId));
}

/** Marks a version rejected and its run failed with a report naming what is wrong and where. */
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

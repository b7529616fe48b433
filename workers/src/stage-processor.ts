import { type AppContext } from "@memstore/api";
import { runPipelineStage } from "@memstore/api/pipeline-stages";
import type { Stage } from "@memstore/core";

/** The processor of a pipeline stage's job: runs the stage for the version and logs its outcome. */
export const stageProcessor =
  (stage: Stage, provider: "cpu" | "cuda" = "cpu") =>
  (ctx: AppContext) =>
  async ({ versionId }: { versionId: string }, { finalAttempt }: { finalAttempt: boolean }) => {
    const outcome = await runPipelineStage(ctx, versionId, stage, { provider, finalAttempt });
    ctx.log(`${stage}${provider === "cuda" ? " (GPU)" : ""} ${versionId}: ${outcome}`);
  };

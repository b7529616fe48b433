import { type AppContext, runPipelineStage } from "@memstore/api";
import type { Stage } from "@memstore/core";

/** A pipeline stage's job: runs the stage for the version and logs its outcome. */
export const pipelineStage =
  (name: Stage, provider: "cpu" | "cuda" = "cpu") =>
  (ctx: AppContext) =>
  async ({ versionId }: { versionId: string }) => {
    const outcome = await runPipelineStage(ctx, versionId, name, provider);
    ctx.log(`${name}${provider === "cuda" ? " (GPU)" : ""} ${versionId}: ${outcome}`);
  };

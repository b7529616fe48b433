import {
  type AppContext,
  convertVersion,
  desensitiseVersion,
  embedVersion,
  ingestVersion,
  signVersion,
  validateVersion,
} from "@memstore/api";
import type { JobName, Processor } from "@memstore/queue";

type Stage = "ingest" | "desensitise" | "convert" | "embed" | "validate" | "validate-gpu" | "sign";

const STAGES: Record<Stage, (ctx: AppContext, versionId: string) => Promise<string>> = {
  ingest: ingestVersion,
  desensitise: desensitiseVersion,
  convert: convertVersion,
  embed: embedVersion,
  validate: validateVersion,
  "validate-gpu": (ctx, versionId) => validateVersion(ctx, versionId, "cuda"),
  sign: signVersion,
};

/** A pipeline stage's job: runs the stage for the version and logs its outcome. */
export const pipelineStage =
  <N extends Stage & JobName>(name: N) =>
  (ctx: AppContext): Processor<N> =>
  async ({ versionId }) => {
    const outcome = await STAGES[name](ctx, versionId);
    ctx.log(`${name} ${versionId}: ${outcome}`);
  };

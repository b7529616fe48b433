import type { CubeType, Stage, StageOf } from "@memstore/core";
import type { VersionRow } from "@memstore/db";
import type { ExecutionProvider } from "@memstore/inference";
import type { AppContext } from "./kernel/context.ts";
import { convertPack, convertSnapshot } from "./pipeline/binary/convert.ts";
import { ingestPack, ingestSnapshot } from "./pipeline/binary/ingest.ts";
import { validatePack, validateSnapshot } from "./pipeline/binary/validate.ts";
import { chunkText } from "./pipeline/plaintext/convert.ts";
import { desensitiseText } from "./pipeline/plaintext/desensitise.ts";
import { embedChunks } from "./pipeline/plaintext/embed.ts";
import { evaluateVersion } from "./evaluation/evaluate.ts";
import { ingestText } from "./pipeline/plaintext/ingest.ts";
import { signVersion } from "./pipeline/sign.ts";
import { runStage, type StageAttempt, type StageResult, type StageRun } from "./pipeline/stage-runner.ts";

type StageImplementation = (
  ctx: AppContext,
  version: VersionRow,
  run: StageRun,
  provider: ExecutionProvider,
) => Promise<StageResult>;

/** What each stage does for each type: exactly the stages @memstore/core declares, checked by the compiler. */
const PIPELINES: { [T in CubeType]: { [S in StageOf<T>]: StageImplementation } } = {
  plaintext: {
    ingest: (ctx, version) => ingestText(ctx, version),
    desensitise: (ctx, version) => desensitiseText(ctx, version),
    convert: (ctx, version) => chunkText(ctx, version),
    embed: (ctx, version) => embedChunks(ctx, version),
    evaluate: (ctx, version) => evaluateVersion(ctx, version),
    sign: signVersion,
  },
  activation: {
    ingest: (ctx, version) => ingestSnapshot(ctx, version),
    convert: (ctx, version) => convertSnapshot(ctx, version),
    validate: (ctx, version, _run, provider) => validateSnapshot(ctx, version, provider),
    sign: signVersion,
  },
  parametric: {
    ingest: (ctx, version) => ingestPack(ctx, version),
    convert: (ctx, version) => convertPack(ctx, version),
    validate: (ctx, version, _run, provider) => validatePack(ctx, version, provider),
    sign: signVersion,
  },
};

const BY_STAGE: Record<CubeType, Partial<Record<Stage, StageImplementation>>> = PIPELINES;

/**
 * Runs a stage of a version's pipeline (the job of that stage's name). A stage the version's type
 * does not run (a job left from an older deployment) is skipped.
 */
export function runPipelineStage(
  ctx: AppContext,
  versionId: string,
  stage: Stage,
  { provider = "cpu", ...attempt }: StageAttempt & { provider?: ExecutionProvider } = {},
) {
  return runStage(ctx, versionId, stage, attempt, (version) => {
    const implementation = BY_STAGE[version.manifest.type][stage];
    return implementation ? (v, run) => implementation(ctx, v, run, provider) : null;
  });
}

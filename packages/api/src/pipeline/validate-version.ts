import type { ExecutionProvider } from "@memstore/inference";
import type { AppContext } from "../context.ts";
import { validateBinary } from "./binary.ts";
import { runStage } from "./runs.ts";

/**
 * The `validate` stage of a binary version: static checks against the registered base model and
 * numeric sanity of every tensor (see binary.ts). Plaintext versions are validated as they are
 * ingested and never come here.
 */
export async function validateVersion(
  ctx: AppContext,
  versionId: string,
  provider: ExecutionProvider = "cpu",
) {
  return runStage(ctx, versionId, "validate", (version) => validateBinary(ctx, version, provider));
}

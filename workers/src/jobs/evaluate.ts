import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `evaluate`: a plaintext version's evaluation set answered by search over it (and the version before). */
export const evaluate = defineJob({
  // Searches and embeds a few hundred questions: CPU-bound like embedding, so it waits in that queue.
  queue: "embed",
  payload: versionPayload,
  // Read-only but for a hold it sets the same way again: safe to retry.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("evaluate"),
});

import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `desensitise`: a plaintext version's personal data handled by its policy. */
export const desensitise = defineJob({
  queue: "desensitise",
  payload: versionPayload,
  // Residual personal data rejects the version on the first attempt; retries are for an outage.
  // The stage redoes the whole pass (its output is content-addressed, so a rerun stores nothing new).
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("desensitise"),
});

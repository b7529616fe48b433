import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `embed`: a plaintext version's chunks embedded for search. */
export const embed = defineJob({
  queue: "embed",
  payload: versionPayload,
  // Embedding resumes where it stopped (only rows without a vector are embedded), so a retry
  // after a crash costs little; 5 attempts ride out a short outage.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("embed"),
});

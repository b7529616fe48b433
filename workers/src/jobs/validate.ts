import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `validate`: a binary version checked against its base model, and run on it on the CPU. */
export const validate = defineJob({
  queue: "validate",
  payload: versionPayload,
  // Bad tensors reject on the first attempt; retries are for an outage. It stores nothing.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("validate"),
});

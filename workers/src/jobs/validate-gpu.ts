import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/**
 * `validate-gpu`: the `validate` stage run on CUDA. The stage runner queues it instead of
 * `validate` while a worker started with --gpu is connected.
 */
export const validateGpu = defineJob({
  queue: "validate-gpu",
  payload: versionPayload,
  // As validate: bad tensors reject on the first attempt, retries are for an outage.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("validate", "cuda"),
});

import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `sign`: every pipeline's last stage; the version turns ready. */
export const sign = defineJob({
  // One signature and one transaction: quick, so it shares the busy ingest queue.
  queue: "ingest",
  payload: versionPayload,
  // One signature and one transaction: cheap to retry.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("sign"),
});

import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `ingest`: the first stage of every version's pipeline (checks the payload's format). */
export const ingest = defineJob({
  queue: "ingest",
  payload: versionPayload,
  // Bad input is rejected on the first attempt (not retried); retries are for a database or
  // storage outage, so 5 attempts with exponential backoff from 2 s span about a minute.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("ingest"),
});

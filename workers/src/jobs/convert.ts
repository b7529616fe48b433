import { defineJob, versionPayload } from "../define-job.ts";
import { stageProcessor } from "../stage-processor.ts";

/** `convert`: plaintext chunked; a binary's canonical file and dtype variants written. */
export const convert = defineJob({
  // Mostly I/O (blob reads, batched inserts), like ingest.
  queue: "ingest",
  payload: versionPayload,
  // Chunks are replaced in one transaction and converted files are content-addressed, so a retry
  // starts from a clean slate; 5 attempts from 2 s ride out about a minute of outage.
  attempts: 5,
  backoffMs: 2_000,
  processor: stageProcessor("convert"),
});

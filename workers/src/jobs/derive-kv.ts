import { deriveKvVersion } from "@memstore/api/derivations";
import { defineJob, versionPayload } from "../define-job.ts";

/** `derive-kv`: a base model's run over a plaintext version's text, kept as a new version's KV snapshot. */
export const deriveKv = defineJob({
  // CPU-bound like a validation run, so on the same queue.
  queue: "validate",
  payload: versionPayload,
  // The snapshot is content-addressed and only attached while the version has no payload, so a
  // rerun after a crash is harmless; a model run is long, so 3 attempts from 5 s.
  attempts: 3,
  backoffMs: 5_000,
  processor:
    (ctx) =>
    async ({ versionId }, { finalAttempt }) => {
      ctx.log(`derive-kv ${versionId}: ${await deriveKvVersion(ctx, versionId, { finalAttempt })}`);
    },
});

import { fingerprintOnInstall } from "@memstore/api/watermarking";
import { z } from "zod";
import { defineJob } from "../define-job.ts";

/** `fingerprint`: an organisation's fingerprinted copy of a binary version, written as soon as it installs it. */
export const fingerprint = defineJob({
  // Reads and writes the whole payload, CPU-bound: beside validation.
  queue: "validate",
  payload: z.object({ versionId: z.string().min(1), orgId: z.string().min(1) }).strict(),
  // The copy is content-addressed and the same every time, so a rerun after a crash stores
  // nothing new; 5 attempts from 2 s ride out a short outage.
  attempts: 5,
  backoffMs: 2_000,
  processor:
    (ctx) =>
    async ({ versionId, orgId }) => {
      await fingerprintOnInstall(ctx, versionId, orgId);
    },
});

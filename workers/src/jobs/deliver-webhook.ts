import { deliverWebhook } from "@memstore/api/events";
import { z } from "zod";
import { defineJob } from "../define-job.ts";

/** Subscribers' endpoints go down for minutes, not seconds: 8 attempts with backoff from 5 s span about 10 minutes. */
const ATTEMPTS = 8;

/** `deliver-webhook`: one signed POST; a failure throws so the queue retries it, the last one marks it dead. */
export const deliverWebhookJob = defineJob({
  queue: "webhooks",
  payload: z.object({ deliveryId: z.string().min(1) }).strict(),
  attempts: ATTEMPTS,
  backoffMs: 5_000,
  processor:
    (ctx) =>
    async ({ deliveryId }, { attempt }) => {
      const outcome = await deliverWebhook(ctx, deliveryId, { finalAttempt: attempt >= ATTEMPTS });
      ctx.log(`webhook ${deliveryId}: ${outcome}`);
    },
});

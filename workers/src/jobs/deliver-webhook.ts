import { deliverWebhook } from "@memstore/api/events";
import { z } from "zod";
import { defineJob } from "../define-job.ts";

/** Subscribers' endpoints go down for minutes, not seconds: 8 attempts with backoff from 5 s span about 10 minutes. */
/** `deliver-webhook`: one signed POST; a failure throws so the queue retries it, the last one marks it dead. */
export const deliverWebhookJob = defineJob({
  queue: "webhooks",
  payload: z.object({ deliveryId: z.string().min(1) }).strict(),
  attempts: 8,
  backoffMs: 5_000,
  processor:
    (ctx) =>
    async ({ deliveryId }, { finalAttempt }) => {
      const outcome = await deliverWebhook(ctx, deliveryId, { finalAttempt });
      ctx.log(`webhook ${deliveryId}: ${outcome}`);
    },
});

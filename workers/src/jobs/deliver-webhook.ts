import { type AppContext, deliverWebhook } from "@memstore/api";
import { JOBS, type Processor } from "@memstore/queue";

/** `deliver-webhook`: one signed POST; a failure throws so the queue retries it with backoff. */
export const deliverWebhookJob =
  (ctx: AppContext): Processor<"deliver-webhook"> =>
  async ({ deliveryId }, { attempt }) => {
    const outcome = await deliverWebhook(ctx, deliveryId, {
      finalAttempt: attempt >= JOBS["deliver-webhook"].attempts,
    });
    ctx.log(`webhook ${deliveryId}: ${outcome}`);
  };

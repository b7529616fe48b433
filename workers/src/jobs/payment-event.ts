import { applyPaymentEvent } from "@memstore/api/entitlements";
import { z } from "zod";
import { defineJob } from "../define-job.ts";

/** `payment-event`: a verified, stored Stripe event applied once (see applyPaymentEvent). */
export const paymentEvent = defineJob({
  queue: "events",
  payload: z.object({ eventId: z.string().min(1) }).strict(),
  // Applying is one transaction that marks the event applied: a retry after an outage is safe.
  attempts: 8,
  backoffMs: 2_000,
  processor:
    (ctx) =>
    async ({ eventId }) => {
      ctx.log(`payment-event ${eventId}: ${await applyPaymentEvent(ctx, eventId)}`);
    },
});

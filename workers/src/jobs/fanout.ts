import { fanOutEvent } from "@memstore/api/events";
import { z } from "zod";
import { defineJob } from "../define-job.ts";

/** `fanout`: an outbox event delivered to vault streams, webhooks and auto-installs (see fanOutEvent). */
export const fanout = defineJob({
  queue: "events",
  payload: z.object({ eventId: z.string().min(1) }).strict(),
  // Matching and auto-installing only touch the database; each step is idempotent (unique
  // deliveries, one live install per vault and listing), so a retry after an outage is safe.
  attempts: 5,
  backoffMs: 2_000,
  processor:
    (ctx) =>
    async ({ eventId }) => {
      ctx.log(`fanout ${eventId}: ${await fanOutEvent(ctx, eventId)}`);
    },
});

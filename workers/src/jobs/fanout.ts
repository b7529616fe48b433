import { type AppContext, fanOutEvent } from "@memstore/api";
import type { Processor } from "@memstore/queue";

/** `fanout`: deliver an outbox event to vault streams, webhooks and auto-installs (see fanOutEvent). */
export const fanout =
  (ctx: AppContext): Processor<"fanout"> =>
  async ({ eventId }) => {
    const outcome = await fanOutEvent(ctx, eventId);
    ctx.log(`fanout ${eventId}: ${outcome}`);
  };

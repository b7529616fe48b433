import { type AppContext } from "@memstore/api";
import { vaultEventsAfter } from "@memstore/api/events";

/** How often an open stream looks for new events, and how often it sends a keep-alive comment. */
const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;

/**
 * A vault's events as `text/event-stream`. Each event carries its sequence number as the SSE `id`,
 * so a reconnecting client (EventSource sends `Last-Event-ID`) resumes without gaps or repeats.
 */
export function vaultEventStream(ctx: AppContext, vaultId: string, lastEventId: number): Response {
  const encoder = new TextEncoder();
  let after = lastEventId;
  let timer: NodeJS.Timeout | undefined;
  let lastSent = Date.now();
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: 3000\n: vault ${vaultId}\n\n`));
      const tick = async () => {
        if (closed) return;
        try {
          for (const event of await vaultEventsAfter(ctx, vaultId, after)) {
            const { seq, ...payload } = event;
            controller.enqueue(
              encoder.encode(`id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(payload)}\n\n`),
            );
            after = seq;
            lastSent = Date.now();
          }
          if (Date.now() - lastSent >= KEEPALIVE_MS) {
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
            lastSent = Date.now();
          }
        } catch (error) {
          ctx.log(`event stream of ${vaultId}: ${String(error)}`);
        }
        if (!closed) timer = setTimeout(() => void tick(), POLL_MS);
      };
      void tick();
    },
    cancel() {
      closed = true;
      clearTimeout(timer);
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}

import { describeError } from "@memstore/core";
import { type AppContext } from "@memstore/api";
import { vaultEventsAfter } from "@memstore/api/events";

/** How often an open stream looks for new events, and how often it sends a keep-alive comment. */
const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;
/** How often it asks whether its caller may still follow it (a key revoked or expired ends it). */
const RECHECK_MS = 1_000;

/**
 * A vault's events as `text/event-stream`. Each event carries its sequence number as the SSE `id`,
 * so a reconnecting client (EventSource sends `Last-Event-ID`) resumes without gaps or repeats.
 * While open it keeps asking `stillAllowed`; once its caller may no longer follow the vault (a
 * revoked or expired key) it sends an `error` event with the problem's code and ends.
 */
export function vaultEventStream(
  ctx: AppContext,
  vaultId: string,
  lastEventId: number,
  stillAllowed: () => Promise<boolean>,
): Response {
  const encoder = new TextEncoder();
  let after = lastEventId;
  let timer: NodeJS.Timeout | undefined;
  let lastSent = Date.now();
  let lastChecked = Date.now();
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: 3000\n: vault ${vaultId}\n\n`));
      const tick = async () => {
        if (closed) return;
        try {
          if (Date.now() - lastChecked >= RECHECK_MS) {
            lastChecked = Date.now();
            if (!(await stillAllowed())) {
              const problem = { code: "unauthenticated", detail: "the key was revoked or has expired" };
              controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify(problem)}\n\n`));
              closed = true;
              controller.close();
              return;
            }
          }
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
          ctx.log(`event stream of ${vaultId}: ${describeError(error)}`);
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

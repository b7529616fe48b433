import { describeError } from "@memstore/core";
import type { AppContext } from "./context.ts";
import { relayEvents } from "./events/outbox.ts";
import { expireAbandonedDrafts } from "./publishing/draft-expiry.ts";

/**
 * The periodic work every worker process (and embedded mode) does besides its jobs, each at its own
 * pace: events whose hand-off to the queue was lost are relayed again, and abandoned drafts' payloads
 * expire. Each is safe to run from many processes at once. Returns a stop function.
 */
const SWEEPS: Array<{ name: string; everyMs: number; run: (ctx: AppContext) => Promise<unknown> }> = [
  // An event whose hand-off failed waits at most this long for its subscribers.
  { name: "outbox", everyMs: 30_000, run: (ctx) => relayEvents(ctx) },
  // Expiry is measured in hours: checking every ten minutes is plenty.
  { name: "draft expiry", everyMs: 600_000, run: (ctx) => expireAbandonedDrafts(ctx) },
];

export function startSweeps(ctx: AppContext): () => void {
  const timers = SWEEPS.map((sweep) => {
    const run = () => {
      sweep
        .run(ctx)
        .catch((error: unknown) => ctx.log(`${sweep.name} sweep failed: ${describeError(error)}`));
    };
    run();
    const timer = setInterval(run, sweep.everyMs);
    timer.unref();
    return timer;
  });
  return () => timers.forEach((t) => clearInterval(t));
}

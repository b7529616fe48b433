import { describeError } from "@memstore/core";
import { expireEntitlements } from "./entitlements/expiry.ts";
import { pushUsageToStripe } from "./payments/usage-push.ts";
import type { AppContext } from "./kernel/context.ts";
import { relayEvents } from "./outbox/outbox.ts";
import { redriveStuckVersions } from "./pipeline/redrive.ts";
import { expireAbandonedDrafts } from "./catalog/draft-expiry.ts";
import { settleYankedInstalls } from "./vaults/version-yank.ts";
import { checkpointMovedHeads } from "./audit/checkpoints.ts";
import { sweepShareReceipts } from "./usage/share-cap.ts";
import { sweepAgentContexts } from "./context/feedback.ts";

type Sweep = {
  name: string;
  everyMs: (ctx: AppContext) => number;
  run: (ctx: AppContext) => Promise<unknown>;
};

/**
 * The periodic work every worker process (and embedded mode) does besides its jobs, each at its own
 * pace: versions whose job was lost are queued again, events whose hand-off to the queue was lost
 * are relayed again, and abandoned drafts' payloads expire. Each is safe to run from many processes
 * at once. Returns a stop function.
 */
const SWEEPS: Sweep[] = [
  // A lost job is found within a quarter of the lease after the lease ran out.
  {
    name: "pipeline",
    everyMs: (ctx) => Math.min(60_000, Math.max(1_000, ctx.config.PIPELINE_LEASE_MS / 4)),
    run: (ctx) => redriveStuckVersions(ctx),
  },
  // An event whose hand-off failed waits at most this long for its subscribers.
  { name: "outbox", everyMs: () => 30_000, run: (ctx) => relayEvents(ctx) },
  // An entitlement's end date is already honoured by search and downloads; this follows it up.
  { name: "entitlement expiry", everyMs: () => 60_000, run: (ctx) => expireEntitlements(ctx) },
  // Usage-priced subscriptions' calls reach Stripe's meters within a minute.
  { name: "usage push to Stripe", everyMs: () => 60_000, run: (ctx) => pushUsageToStripe(ctx) },
  // A yank settles its installs as it is made; this catches those a crash or a race left behind,
  // and moves noticed installs on once a version their policy allows is ready.
  { name: "yanked installs", everyMs: () => 60_000, run: (ctx) => settleYankedInstalls(ctx) },
  // Retention runs as a job, one per quarter hour whoever asks (its id is the quarter).
  {
    name: "retention",
    everyMs: () => 300_000,
    run: (ctx) => ctx.jobs.enqueue("retention", { window: quarterHour(new Date()) }),
  },
  // Every organisation's audit head is signed at least hourly once it moved.
  { name: "audit checkpoints", everyMs: () => 3_600_000, run: (ctx) => checkpointMovedHeads(ctx) },
  // Receipts older than a day count for nothing under a share cap; they are deleted hourly.
  { name: "share receipts", everyMs: () => 3_600_000, run: (ctx) => sweepShareReceipts(ctx.db) },
  // Contexts take feedback for a week; older ones are deleted hourly.
  { name: "agent contexts", everyMs: () => 3_600_000, run: sweepAgentContexts },
  // Expiry is measured in hours: checking every ten minutes is plenty.
  { name: "draft expiry", everyMs: () => 600_000, run: (ctx) => expireAbandonedDrafts(ctx) },
];

/** The quarter hour an instant falls in, as `2026-12-07T14:30`. */
const quarterHour = (at: Date) => {
  const q = new Date(Math.floor(at.getTime() / 900_000) * 900_000);
  return q.toISOString().slice(0, 16);
};

export function startSweeps(ctx: AppContext): () => void {
  const timers = SWEEPS.map((sweep) => {
    // A sweep slower than its period (a database that stopped answering) is not started twice.
    let running = false;
    const run = () => {
      if (running) return;
      running = true;
      sweep
        .run(ctx)
        .catch((error: unknown) => ctx.log(`${sweep.name} sweep failed: ${describeError(error)}`))
        .finally(() => (running = false));
    };
    run();
    const timer = setInterval(run, sweep.everyMs(ctx));
    timer.unref();
    return timer;
  });
  return () => timers.forEach((t) => clearInterval(t));
}

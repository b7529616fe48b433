import type { AppContext } from "../kernel/context.ts";
import { activeSessions } from "./queries.ts";

/** What a worker process's database sessions are named (`memstore-worker-<pid>`). */
export const WORKER_APPLICATION = "memstore-worker";

/** How long one look at the database's sessions stands for: a look costs a query. */
const LOOK_MS = 250;

/**
 * Whether interactive work is running in the database now — searches and agents' calls from
 * `memstore serve`, the portal, anything but pipeline workers and this process's own sessions —
 * so the pipeline's bulk writes give way to it. Postgres runs every statement at the same priority,
 * so the pipeline takes a smaller share itself while others work (see embedChunks). Embedded mode
 * has one process and one session: nothing else to give way to.
 */
export function interactiveLoad(ctx: AppContext): () => Promise<boolean> {
  let lookedAt = 0;
  let busy = false;
  return async () => {
    if (ctx.database.kind !== "postgres") return false;
    if (Date.now() - lookedAt < LOOK_MS) return busy;
    lookedAt = Date.now();
    busy = (await activeSessions(ctx.db, { exceptPrefix: `${WORKER_APPLICATION}-` })) > 0;
    return busy;
  };
}

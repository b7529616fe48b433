import type { AppContext } from "@memstore/api";
import {
  JOBS,
  type JobName,
  GPU_QUEUES,
  PermanentJobError,
  QUEUE_PREFIX,
  QUEUES,
  type QueueName,
  redisConnection,
} from "@memstore/queue";
import { UnrecoverableError, Worker } from "bullmq";
import { createProcessors } from "./registry.ts";

export type WorkerPool = { close(timeoutMs: number): Promise<void> };

/**
 * One BullMQ Worker per queue with that queue's concurrency. A job's payload is validated first:
 * a bad payload (or a PermanentJobError) fails the job for good instead of being retried.
 */
export function startWorkers(
  ctx: AppContext,
  options: { redisUrl: string; lockMs: number; queues?: QueueName[]; prefix?: string; gpu?: boolean },
): WorkerPool {
  const processors = createProcessors(ctx);
  const connection = redisConnection(options.redisUrl);
  const all = (Object.keys(QUEUES) as QueueName[]).filter((q) => options.gpu || !GPU_QUEUES.includes(q));
  const workers = (options.queues ?? all).map(
    (queue) =>
      new Worker(
        queue,
        async (job) => {
          const name = job.name as JobName;
          const definition = JOBS[name];
          if (!definition) throw new UnrecoverableError(`unknown job '${job.name}'`);
          const payload = definition.payload.safeParse(job.data);
          if (!payload.success) throw new UnrecoverableError(`invalid payload: ${payload.error.message}`);
          const run = processors[name] as (p: unknown, m: { attempt: number }) => Promise<void>;
          try {
            await run(payload.data, { attempt: job.attemptsMade + 1 });
          } catch (error) {
            if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
            throw error;
          }
        },
        {
          connection,
          prefix: options.prefix ?? QUEUE_PREFIX,
          concurrency: QUEUES[queue].concurrency,
          // A worker that dies holds its jobs only this long before another takes them over.
          lockDuration: options.lockMs,
          stalledInterval: options.lockMs,
          maxStalledCount: 3,
        },
      ),
  );
  for (const w of workers) {
    w.on("failed", (job, error) =>
      ctx.log(`job ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`),
    );
    w.on("error", (error) => ctx.log(`worker error: ${error.message}`));
  }
  return {
    async close(timeoutMs) {
      // Let running jobs finish, but not forever: past the cap, their locks lapse and another worker retries them.
      const graceful = Promise.all(workers.map((w) => w.close()));
      const capped = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([graceful, capped]);
      await Promise.all(workers.map((w) => w.close(true)));
      connection.disconnect();
    },
  };
}

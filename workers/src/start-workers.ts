import { describeError } from "@memstore/core";
import type { AppContext } from "@memstore/api";
import { UnrecoverableError, Worker } from "bullmq";
import { QUEUE_PREFIX, redisConnection } from "./bullmq-producer.ts";
import { PermanentJobError } from "./define-job.ts";
import { QUEUE_NAMES, QUEUES, type QueueName } from "./queues.ts";
import { createProcessors, JOBS } from "./registry.ts";

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
  const all = QUEUE_NAMES.filter((q) => options.gpu || !QUEUES[q].gpu);
  const workers = (options.queues ?? all).map(
    (queue) =>
      new Worker(
        queue,
        async (job) => {
          if (!Object.hasOwn(JOBS, job.name)) throw new UnrecoverableError(`unknown job '${job.name}'`);
          const run = processors[job.name as keyof typeof JOBS];
          try {
            await run(job.data, { attempt: job.attemptsMade + 1 });
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
      ctx.log(`job ${job?.id} failed (attempt ${job?.attemptsMade}): ${describeError(error)}`),
    );
    w.on("error", (error) => ctx.log(`worker error: ${describeError(error)}`));
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

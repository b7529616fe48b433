import type { z } from "zod";

/**
 * The contract between the services that ask for background work and the workers that do it.
 *
 * Each job (its payload schema, queue, retries and processor) is one file under workers/src/jobs,
 * listed in workers/src/registry.ts. The workers import the services, so the services cannot
 * import the job list; instead the registry adds its jobs and queues to the two interfaces below by
 * declaration merging (`declare module "@memstore/queue"`), and a service's `ctx.jobs.enqueue` is
 * checked against the very schemas the workers validate with.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by workers/src/registry.ts
export interface Jobs {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by workers/src/queues.ts
export interface Queues {}

export type JobName = Extract<keyof Jobs, string>;
export type QueueName = Extract<keyof Queues, string>;
export type JobPayload<N extends JobName> = Jobs[N] extends { payload: z.ZodType<infer P> } ? P : never;

/** How services start background work: BullMQ in services mode, an in-process runner when embedded. */
export interface JobProducer {
  readonly kind: "bullmq" | "in-process";
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void>;
  /**
   * Queues the job again unless it is live (waiting, delayed or running): a finished or failed job
   * of the same id is removed first. How the pipeline sweep re-drives a version whose job was lost.
   */
  redrive<N extends JobName>(name: N, payload: JobPayload<N>): Promise<"live" | "queued">;
  /** Whether this job is waiting, delayed or running now. */
  live<N extends JobName>(name: N, payload: JobPayload<N>): Promise<boolean>;
  ping(): Promise<void>;
  /** Whether a worker consuming this queue is connected now (how validation finds a GPU worker). */
  hasConsumers(queue: QueueName): Promise<boolean>;
  close(): Promise<void>;
}

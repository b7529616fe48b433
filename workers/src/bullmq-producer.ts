import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { JobPayload, JobProducer } from "@memstore/queue";
import { jobIdOf } from "./define-job.ts";
import type { QueueName } from "./queues.ts";
import { JOBS, type JobName } from "./registry.ts";

export const QUEUE_PREFIX = "memstore";

/** BullMQ needs `maxRetriesPerRequest: null` on connections that block (workers). */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export class BullMqProducer implements JobProducer {
  readonly kind = "bullmq";
  private readonly queues = new Map<QueueName, Queue>();
  private readonly connection: Redis;

  constructor(
    redisUrl: string,
    private readonly prefix = QUEUE_PREFIX,
  ) {
    this.connection = redisConnection(redisUrl);
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    const definition = JOBS[name];
    const data = definition.payload.parse(payload);
    await this.queue(definition.queue).add(name, data, {
      jobId: jobIdOf(name, data),
      attempts: definition.attempts,
      backoff: { type: "exponential", delay: definition.backoffMs },
      // Keep finished jobs a while for inspection, bounded so Redis does not grow without end.
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async hasConsumers(queue: QueueName): Promise<boolean> {
    return (await this.queue(queue).getWorkersCount()) > 0;
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }
}

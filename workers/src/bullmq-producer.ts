import { type JobState, Queue } from "bullmq";
import { Redis } from "ioredis";
import type { JobPayload, JobProducer } from "@memstore/queue";
import { jobIdOf } from "./define-job.ts";
import type { QueueName } from "./queues.ts";
import { JOBS, type JobName } from "./registry.ts";

export const QUEUE_PREFIX = "memstore";

/** How long a call that asks Redis something waits for the answer before it counts as an outage. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/** A job in one of these states will run (again) without anyone queueing it. */
const LIVE_STATES = new Set<JobState | "unknown">([
  "waiting",
  "delayed",
  "active",
  "prioritized",
  "waiting-children",
]);

/** BullMQ needs `maxRetriesPerRequest: null` on connections that block (workers). */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

/**
 * Services mode's producer. Its connection fails fast while Redis is away (no offline queue, one
 * retry per command, every call bounded): a submit during an outage answers 503 at once instead of
 * hanging until Redis comes back, and the version stays as it was. Work whose job Redis lost is
 * found again by the pipeline sweep.
 */
export class BullMqProducer implements JobProducer {
  readonly kind = "bullmq";
  private readonly queues = new Map<QueueName, Queue>();
  private readonly connection: Redis;
  /** Settles once the connection was first ready: only until then are calls held, not refused. */
  private readonly firstReady: Promise<void>;

  constructor(
    redisUrl: string,
    private readonly prefix = QUEUE_PREFIX,
  ) {
    this.connection = new Redis(redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      enableReadyCheck: true,
    });
    // Outages surface as refused calls (and in the health probe), not as unhandled error events.
    this.connection.on("error", () => {});
    this.firstReady = new Promise((resolve) => this.connection.once("ready", () => resolve()));
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    const definition = JOBS[name];
    const data = definition.payload.parse(payload);
    await this.call(() =>
      this.queue(definition.queue).add(name, data, {
        jobId: jobIdOf(name, data),
        attempts: definition.attempts,
        backoff: { type: "exponential", delay: definition.backoffMs },
        // Keep finished jobs a while for inspection, bounded so Redis does not grow without end.
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      }),
    );
  }

  async live<N extends JobName>(name: N, payload: JobPayload<N>): Promise<boolean> {
    const job = await this.job(name, payload);
    return job !== undefined && LIVE_STATES.has(await this.call(() => job.getState()));
  }

  async redrive<N extends JobName>(name: N, payload: JobPayload<N>): Promise<"live" | "queued"> {
    const job = await this.job(name, payload);
    if (job) {
      if (LIVE_STATES.has(await this.call(() => job.getState()))) return "live";
      // A finished job keeps its id for a while; a new job of that id would be ignored.
      await this.call(() => job.remove());
    }
    await this.enqueue(name, payload);
    return "queued";
  }

  async hasConsumers(queue: QueueName): Promise<boolean> {
    return (await this.call(() => this.queue(queue).getWorkersCount())) > 0;
  }

  async ping(): Promise<void> {
    await this.call(() => this.connection.ping());
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }

  private async job<N extends JobName>(name: N, payload: JobPayload<N>) {
    const definition = JOBS[name];
    const data = definition.payload.parse(payload);
    return this.call(() => this.queue(definition.queue).getJob(jobIdOf(name, data)));
  }

  /** `work` bounded in time; before the connection was first ready it waits for it (in the same bound). */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.firstReady.then(work), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Errors reach the caller of each call; the event would otherwise be unhandled.
      queue.on("error", () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }
}

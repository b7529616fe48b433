import { describeError, redactingLog } from "@memstore/core";
import type { JobPayload, JobProducer } from "@memstore/queue";
import { backoffDelay, jobIdOf, PermanentJobError } from "./define-job.ts";
import { QUEUES, type QueueName } from "./queues.ts";
import { JOBS, type JobName, type ProcessorRegistry } from "./registry.ts";

type Pending = { name: JobName; payload: unknown; attempt: number; id: string };

/**
 * Embedded mode's job runner: the same processors as the BullMQ workers, called in this process,
 * with the same per-queue concurrency, retries and exponential backoff. Jobs live in memory, so a
 * restart loses queued work — which is why services mode uses Redis.
 */
export class InProcessRunner implements JobProducer {
  readonly kind = "in-process";
  private processors: ProcessorRegistry | null = null;
  private readonly waiting = new Map<QueueName, Pending[]>();
  private readonly active = new Map<QueueName, number>();
  private readonly known = new Set<string>();
  /** Ids of the jobs whose processor is running now. */
  private readonly running = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  private readonly log: (line: string) => void;
  private readonly backoffScale: number;

  /** `backoffScale` shortens (or stretches) every retry's delay: tests that exhaust retries use it. */
  constructor(log: (line: string) => void = () => {}, options: { backoffScale?: number } = {}) {
    this.log = redactingLog(log);
    this.backoffScale = options.backoffScale ?? 1;
  }

  register(processors: ProcessorRegistry): void {
    this.processors = processors;
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    if (this.closed) throw new Error("job runner is closed");
    const data: Record<string, string> = JOBS[name].payload.parse(payload);
    const id = jobIdOf(name, data);
    if (this.known.has(id)) return;
    this.known.add(id);
    this.inFlight++;
    this.push({ name, payload: data, attempt: 1, id });
  }

  async live<N extends JobName>(name: N, payload: JobPayload<N>): Promise<boolean> {
    return this.known.has(jobIdOf(name, JOBS[name].payload.parse(payload)));
  }

  /** A job is known from its enqueueing until it succeeds or fails for good: only then is it queued again. */
  async redrive<N extends JobName>(name: N, payload: JobPayload<N>): Promise<"live" | "queued"> {
    if (await this.live(name, payload)) return "live";
    await this.enqueue(name, payload);
    return "queued";
  }

  /** Resolves when no job is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async ping(): Promise<void> {}

  /** Embedded mode runs every queue but the GPU ones (a GPU worker is a `memstore worker --gpu` process). */
  async hasConsumers(queue: QueueName): Promise<boolean> {
    return this.processors !== null && !QUEUES[queue].gpu;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Jobs waiting for a retry will not get one: they leave the count with their timers.
    for (const t of this.timers) clearTimeout(t);
    this.inFlight -= this.timers.size;
    this.timers.clear();
    for (const list of this.waiting.values()) this.inFlight -= list.length;
    this.waiting.clear();
    // A close that takes long says what it waits for.
    const slow = setTimeout(
      () =>
        this.log(`closing: waiting for ${this.running.size} running job(s): ${[...this.running].join(", ")}`),
      10_000,
    );
    slow.unref();
    await this.idle();
    clearTimeout(slow);
  }

  private push(job: Pending): void {
    const queue = JOBS[job.name].queue;
    const list = this.waiting.get(queue) ?? [];
    list.push(job);
    this.waiting.set(queue, list);
    queueMicrotask(() => this.pump(queue));
  }

  private pump(queue: QueueName): void {
    const list = this.waiting.get(queue) ?? [];
    while (!this.closed && list.length > 0 && (this.active.get(queue) ?? 0) < QUEUES[queue].concurrency) {
      const job = list.shift()!;
      this.active.set(queue, (this.active.get(queue) ?? 0) + 1);
      void this.run(job).finally(() => {
        this.active.set(queue, (this.active.get(queue) ?? 1) - 1);
        this.pump(queue);
      });
    }
  }

  private async run(job: Pending): Promise<void> {
    if (!this.processors) throw new Error("no processors registered");
    const processor = this.processors[job.name];
    this.running.add(job.id);
    try {
      await processor(job.payload, { attempt: job.attempt }).finally(() => this.running.delete(job.id));
      this.done(job);
    } catch (error) {
      const permanent = error instanceof PermanentJobError;
      if (!permanent && job.attempt < JOBS[job.name].attempts && !this.closed) {
        const delay = backoffDelay(JOBS[job.name], job.attempt) * this.backoffScale;
        this.log(
          `job ${job.id} failed (attempt ${job.attempt}), retrying in ${delay} ms: ${describeError(error)}`,
        );
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.push({ ...job, attempt: job.attempt + 1 });
        }, delay);
        this.timers.add(timer);
        return;
      }
      this.log(`job ${job.id} failed for good: ${describeError(error)}`);
      this.done(job);
    }
  }

  private done(job: Pending): void {
    this.known.delete(job.id);
    this.inFlight--;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

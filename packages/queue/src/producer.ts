import type { JobName, JobPayload, QueueName } from "./definitions.ts";

/** How services start background work; BullMQ in services mode, an in-process runner when embedded. */
export interface JobProducer {
  readonly kind: "bullmq" | "in-process";
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void>;
  ping(): Promise<void>;
  /** Whether a worker consuming this queue is connected now (how validation finds a GPU worker). */
  hasConsumers(queue: QueueName): Promise<boolean>;
  close(): Promise<void>;
}

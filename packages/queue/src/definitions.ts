import { z } from "zod";

/**
 * Every background job of MemStore: its queue, its payload schema and its retry policy, each number
 * with the reason for it. Producers and processors are typed from this one registry.
 */
export const QUEUES = {
  // Parsing and chunking is I/O-bound (blob reads, batched inserts): several at once per worker.
  ingest: { concurrency: 4 },
  // Desensitising is CPU-bound (pattern matching over the whole text): one at a time per worker.
  desensitise: { concurrency: 1 },
  // Embedding is CPU-bound (onnxruntime uses the cores itself): one at a time per worker.
  embed: { concurrency: 1 },
  // Validating a binary reads every tensor (and, with a registered ONNX export, runs the model):
  // CPU-bound, one at a time per worker.
  validate: { concurrency: 1 },
  // The same work on a GPU, consumed only by workers started with --gpu: one model on the card at a time.
  "validate-gpu": { concurrency: 1 },
  // Fan-out is a few queries per event: several at once.
  events: { concurrency: 4 },
  // Webhook deliveries wait on other people's servers (up to a 10 s timeout each): many at once.
  webhooks: { concurrency: 8 },
} as const satisfies Record<string, { concurrency: number }>;

export type QueueName = keyof typeof QUEUES;

/** Queues that only workers started with `--gpu` consume. */
export const GPU_QUEUES: readonly QueueName[] = ["validate-gpu"];

const versionPayload = z.object({ versionId: z.string().min(1) }).strict();
const eventPayload = z.object({ eventId: z.string().min(1) }).strict();
const deliveryPayload = z.object({ deliveryId: z.string().min(1) }).strict();
const copyPayload = z.object({ versionId: z.string().min(1), orgId: z.string().min(1) }).strict();

type JobDefinition = {
  queue: QueueName;
  payload: z.ZodType;
  attempts: number;
  backoffMs: number;
};

export const JOBS = {
  ingest: {
    queue: "ingest",
    payload: versionPayload,
    // Bad input is rejected on the first attempt (not retried); retries are for a database or
    // storage outage, so 5 attempts with exponential backoff from 2 s span about a minute.
    attempts: 5,
    backoffMs: 2_000,
  },
  desensitise: {
    queue: "desensitise",
    payload: versionPayload,
    // Residual personal data rejects the version on the first attempt; retries are for an outage.
    // The stage redoes the whole pass (its output is content-addressed, so a rerun stores nothing new).
    attempts: 5,
    backoffMs: 2_000,
  },
  convert: {
    queue: "ingest",
    payload: versionPayload,
    // Chunks are replaced in one transaction, so a retry starts from a clean slate.
    attempts: 5,
    backoffMs: 2_000,
  },
  embed: {
    queue: "embed",
    payload: versionPayload,
    // Embedding resumes where it stopped (only rows without a vector are embedded), so a retry
    // after a crash costs little; 5 attempts ride out a short outage.
    attempts: 5,
    backoffMs: 2_000,
  },
  validate: {
    queue: "validate",
    payload: versionPayload,
    // Bad tensors reject on the first attempt; retries are for an outage. It stores nothing.
    attempts: 5,
    backoffMs: 2_000,
  },
  "validate-gpu": {
    queue: "validate-gpu",
    payload: versionPayload,
    // As validate; enqueued instead of it while a GPU worker is connected.
    attempts: 5,
    backoffMs: 2_000,
  },
  sign: {
    queue: "ingest",
    payload: versionPayload,
    // One signature and one transaction: cheap to retry.
    attempts: 5,
    backoffMs: 2_000,
  },
  "derive-kv": {
    queue: "validate",
    // Runs a base model over a plaintext version's text to make a new version's KV snapshot: CPU-bound
    // like a validation run, so on the same queue. The snapshot is content-addressed and only
    // attached while the version has no payload, so a rerun after a crash is harmless.
    payload: versionPayload,
    attempts: 3,
    backoffMs: 5_000,
  },
  fingerprint: {
    queue: "validate",
    payload: copyPayload,
    // Writes one organisation's copy of a binary version; the copy is content-addressed and the
    // same every time, so a rerun after a crash stores nothing new.
    attempts: 5,
    backoffMs: 2_000,
  },
  fanout: {
    queue: "events",
    payload: eventPayload,
    // Matching and auto-installing only touch the database; each step is idempotent (unique
    // deliveries, one live install per vault and listing), so a retry after an outage is safe.
    attempts: 5,
    backoffMs: 2_000,
  },
  "deliver-webhook": {
    queue: "webhooks",
    payload: deliveryPayload,
    // Subscribers' endpoints go down for minutes, not seconds: 8 attempts with backoff from 5 s
    // span about 10 minutes before the delivery is marked dead.
    attempts: 8,
    backoffMs: 5_000,
  },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]["payload"]>;

/** A job's work. It must be idempotent: it may run again after a crash or a retry. */
export type Processor<N extends JobName> = (
  payload: JobPayload<N>,
  meta: { attempt: number },
) => Promise<void>;
export type ProcessorRegistry = { [N in JobName]: Processor<N> };

/** Delay before attempt `attempt + 1` (attempts count from 1). */
export function backoffDelay(name: JobName, attempt: number): number {
  return JOBS[name].backoffMs * 2 ** (attempt - 1);
}

/** A stable id per job and subject (version, event, delivery): enqueueing twice yields one job. */
export function jobIdOf(name: JobName, payload: Record<string, string>): string {
  return `${name}-${Object.values(payload).join("-")}`;
}

/** Thrown by a processor for a failure that retrying cannot fix (bad payload, bad input). */
export class PermanentJobError extends Error {
  override readonly name = "PermanentJobError";
}

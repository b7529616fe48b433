/**
 * The queues jobs wait in, each with how many of its jobs one worker runs at once and why. A job
 * names its queue (see jobs/); `gpu` queues are consumed only by workers started with `--gpu`.
 */
export const QUEUES = {
  // Parsing and chunking is I/O-bound (blob reads, batched inserts): several at once per worker.
  ingest: { concurrency: 4, gpu: false },
  // Desensitising is CPU-bound (pattern matching over the whole text): one at a time per worker.
  desensitise: { concurrency: 1, gpu: false },
  // Embedding is CPU-bound (onnxruntime uses the cores itself): one at a time per worker.
  embed: { concurrency: 1, gpu: false },
  // Validating a binary reads every tensor (and, with a registered ONNX export, runs the model):
  // CPU-bound, one at a time per worker.
  validate: { concurrency: 1, gpu: false },
  // The same work on a GPU, consumed only by workers started with --gpu: one model on the card at a time.
  "validate-gpu": { concurrency: 1, gpu: true },
  // Fan-out is a few queries per event: several at once.
  events: { concurrency: 4, gpu: false },
  // The retention sweep walks vaults in short batches: one at a time is enough, and keeps it gentle.
  maintenance: { concurrency: 1, gpu: false },
  // Webhook deliveries wait on other people's servers (up to a 10 s timeout each): many at once.
  webhooks: { concurrency: 8, gpu: false },
} as const satisfies Record<string, { concurrency: number; gpu: boolean }>;

type DeclaredQueues = typeof QUEUES;

declare module "@memstore/queue" {
  interface Queues extends DeclaredQueues {}
}

export type QueueName = keyof DeclaredQueues;

export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

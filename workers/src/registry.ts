import type { AppContext } from "@memstore/api";
import { convert } from "./jobs/convert.ts";
import { deliverWebhookJob } from "./jobs/deliver-webhook.ts";
import { deriveKv } from "./jobs/derive-kv.ts";
import { desensitise } from "./jobs/desensitise.ts";
import { embed } from "./jobs/embed.ts";
import { evaluate } from "./jobs/evaluate.ts";
import { fanout } from "./jobs/fanout.ts";
import { fingerprint } from "./jobs/fingerprint.ts";
import { ingest } from "./jobs/ingest.ts";
import { paymentEvent } from "./jobs/payment-event.ts";
import { retention } from "./jobs/retention.ts";
import { sign } from "./jobs/sign.ts";
import { validate } from "./jobs/validate.ts";
import { validateGpu } from "./jobs/validate-gpu.ts";
import type { JobRunner } from "./define-job.ts";

/**
 * Every background job of MemStore by name. The pipeline's stage jobs carry the stage's name
 * (@memstore/core declares the stages); producers are typed from this list (see @memstore/queue).
 */
export const JOBS = {
  ingest,
  desensitise,
  convert,
  embed,
  evaluate,
  validate,
  "validate-gpu": validateGpu,
  sign,
  "derive-kv": deriveKv,
  fingerprint,
  fanout,
  "deliver-webhook": deliverWebhookJob,
  "payment-event": paymentEvent,
  retention,
};

type RegisteredJobs = typeof JOBS;

declare module "@memstore/queue" {
  interface Jobs extends RegisteredJobs {}
}

export type JobName = keyof RegisteredJobs;
export type ProcessorRegistry = Record<JobName, JobRunner>;

/** Every job's processor for a running system; BullMQ workers and the in-process runner both call these. */
export function createProcessors(ctx: AppContext): ProcessorRegistry {
  const names = Object.keys(JOBS) as JobName[];
  return Object.fromEntries(names.map((name) => [name, JOBS[name].runner(ctx)])) as ProcessorRegistry;
}

import type { AppContext } from "@memstore/api";
import { z } from "zod";
import type { QueueName } from "./queues.ts";

/**
 * A job's work. It must be idempotent: it may run again after a crash or a retry. `attempt` counts
 * from 1; on the `finalAttempt` a failure will not be retried, so a processor settles what it was
 * about (a version is rejected, a delivery marked dead) rather than leave it waiting.
 */
export type Processor<P> = (payload: P, meta: { attempt: number; finalAttempt: boolean }) => Promise<void>;

/** A job's processor behind its payload check, as queues call it with whatever they stored. */
export type JobRunner = (payload: unknown, meta: { attempt: number }) => Promise<void>;

/**
 * What one file under jobs/ declares: the queue the job waits in, its payload schema (a payload that
 * does not parse fails for good), its retry policy, and its processor for a running system.
 */
export type JobDefinition<S extends z.ZodType> = {
  queue: QueueName;
  payload: S;
  attempts: number;
  /** The first retry's delay; each later one doubles it. */
  backoffMs: number;
  processor: (ctx: AppContext) => Processor<z.infer<S>>;
};

export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>) {
  return {
    ...definition,
    /** The processor for a running system; a payload that does not parse fails for good. */
    runner(ctx: AppContext): JobRunner {
      const process = definition.processor(ctx);
      return async (payload, { attempt }) => {
        const parsed = definition.payload.safeParse(payload);
        if (!parsed.success) throw new PermanentJobError(`invalid payload: ${parsed.error.message}`);
        await process(parsed.data, { attempt, finalAttempt: attempt >= definition.attempts });
      };
    },
  };
}

/** The payload of every job about one version. */
export const versionPayload = z.object({ versionId: z.string().min(1) }).strict();

/** Thrown by a processor for a failure that retrying cannot fix (bad payload, bad input). */
export class PermanentJobError extends Error {
  override readonly name = "PermanentJobError";
}

/** Delay before attempt `attempt + 1` (attempts count from 1). */
export function backoffDelay(definition: { backoffMs: number }, attempt: number): number {
  return definition.backoffMs * 2 ** (attempt - 1);
}

/** A stable id per job and subject (version, event, delivery): enqueueing twice yields one job. */
export function jobIdOf(name: string, payload: Record<string, string>): string {
  return `${name}-${Object.values(payload).join("-")}`;
}

import { setPriority } from "node:os";
import { type Config, ConfigError, openRuntime, startSweeps } from "@memstore/api";
import { WORKER_APPLICATION } from "@memstore/api/pipeline";
import { requireCuda } from "@memstore/inference";
import { BullMqProducer } from "./bullmq-producer.ts";
import { startWorkers } from "./start-workers.ts";

/**
 * `memstore worker [--gpu]`: BullMQ workers in this process until SIGTERM or SIGINT. With `gpu`, the
 * process also takes the `validate-gpu` queue, and refuses to start unless onnxruntime can run on CUDA.
 */
export async function runWorkerProcess(config: Config, options: { gpu?: boolean } = {}): Promise<void> {
  if (!config.DATABASE_URL || !config.REDIS_URL) {
    throw new ConfigError("memstore worker runs in services mode: set DATABASE_URL and REDIS_URL");
  }
  if (options.gpu) {
    try {
      await requireCuda();
    } catch (error) {
      throw new ConfigError(`memstore worker --gpu cannot start: ${(error as Error).message}`);
    }
  }
  // Before any thread starts: Linux sets priority per thread, and threads inherit their creator's.
  if (config.WORKER_NICE > 0) setPriority(config.WORKER_NICE);
  const producer = new BullMqProducer(config.REDIS_URL, config.QUEUE_PREFIX);
  const ctx = await openRuntime(config, producer, {
    application: WORKER_APPLICATION,
    log: (line) => console.log(`[worker ${process.pid}] ${line}`),
  });
  const pool = startWorkers(ctx, {
    redisUrl: config.REDIS_URL,
    lockMs: config.JOB_LOCK_MS,
    prefix: config.QUEUE_PREFIX,
    gpu: options.gpu ?? false,
  });
  const stopSweep = startSweeps(ctx);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log(`${signal}: finishing running jobs (at most ${config.WORKER_SHUTDOWN_MS} ms)`);
    stopSweep();
    await pool.close(config.WORKER_SHUTDOWN_MS);
    await ctx.close();
    ctx.log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // Only now: whoever waits for "ready" may send SIGTERM at once, and it must find the handler.
  ctx.log(
    `ready (embedder ${ctx.embedder.model}${options.gpu ? ", GPU validation on CUDA" : ""}, nice ${config.WORKER_NICE})`,
  );
}

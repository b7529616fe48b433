import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig, openRuntime } from "@memstore/api";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { getVersion, publishCube } from "@memstore/api/catalog";
import { BullMqProducer } from "@memstore/workers";

/**
 * Publishing as it runs in production, beside the searches bench/load measures: a `memstore worker`
 * process (BullMQ) takes the pipeline's jobs while this process submits `cubes` plaintext cubes of
 * `items` memory items, `parallel` at a time, and waits until each is ready. Returns when all are,
 * with the chunks made per second; `stop()` ends the worker.
 */
export async function startPublishing(
  env: Record<string, string>,
  options: { cubes: number; items: number; parallel: number; workerEnv?: Record<string, string> },
) {
  const worker = spawn(
    process.execPath,
    [fileURLToPath(new URL("../../apps/cli/bin/memstore.js", import.meta.url)), "worker"],
    {
      env: { ...process.env, ...env, ...options.workerEnv, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    worker.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    worker.on("exit", (code) => reject(new Error(`memstore worker exited with ${code}`)));
  });
  const config = loadConfig(env);
  const ctx = await openRuntime(config, new BullMqProducer(config.REDIS_URL!, config.QUEUE_PREFIX), {
    log: () => {},
  });
  const org = await createOrganization(ctx, { name: "Busy Publisher", ownerEmail: "busy@load.example.com" });
  const publisher = await authenticateApiKey(ctx, org.api_key);
  const started = Date.now();

  async function publishOne(n: number) {
    const texts = Array.from(
      { length: options.items },
      (_, i) =>
        `Notice ${n}.${i}: vessels bound for quay ${i % 13} report to the pilot station ${i % 7} hours before arrival, with cargo manifests and crew lists.`,
    );
    const { cube } = await publishCube(
      ctx,
      publisher,
      { slug: `busy-${n}`, type: "plaintext", title: `Busy ${n}` },
      { payload: memoryItemsJsonl(texts), contentType: "application/x-ndjson" },
    );
    for (;;) {
      const { status } = await getVersion(ctx, publisher, cube.id, "1.0.0");
      if (status === "ready") return;
      if (status === "rejected") throw new Error(`busy-${n} was rejected`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  let next = 0;
  const done = Promise.all(
    Array.from({ length: options.parallel }, async () => {
      while (next < options.cubes) await publishOne(next++);
    }),
  ).then(() => {
    const seconds = (Date.now() - started) / 1000;
    return { seconds, chunks_per_s: Math.round((options.cubes * options.items) / seconds) };
  });
  return {
    done,
    async stop() {
      await ctx.close();
      worker.kill("SIGTERM");
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

/** Texts as a JSONL payload of memory items, one `{ "text": … }` per line. */
export const memoryItemsJsonl = (texts: readonly string[]) =>
  texts.map((text) => JSON.stringify({ text })).join("\n");

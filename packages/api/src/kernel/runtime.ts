import { redactingLog } from "@memstore/core";
import { join } from "node:path";
import { openDatabase } from "@memstore/db";
import { createEmbedder, OnnxTokenClassifier } from "@memstore/inference";
import type { JobProducer } from "@memstore/queue";
import { createBlobStore } from "@memstore/storage";
import type { AppContext } from "./context.ts";
import type { Config } from "./env.ts";
import { HeatTally } from "./heat-tally.ts";
import { loadPlatformKeys } from "./secrets.ts";

export type Runtime = AppContext & { close(): Promise<void> };

/**
 * Opens the parts named by the configuration: Postgres when DATABASE_URL is set, else the embedded
 * PGlite under the data directory; the blob store; the embedder and the PII model. The caller brings the job producer
 * (BullMQ, or the in-process runner wired to the workers' processors).
 */
export async function openRuntime(
  config: Config,
  jobs: JobProducer,
  options: { log?: (line: string) => void; migrate?: boolean; application?: string } = {},
): Promise<Runtime> {
  const database = await openDatabase(
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, application: options.application ?? "memstore" }
      : { embeddedDir: join(config.dataDir, "db") },
  );
  try {
    if (options.migrate) await database.migrate();
    const keys = loadPlatformKeys(config);
    const embedder = await createEmbedder(config.EMBEDDING_MODEL_DIR);
    const ner = config.PII_MODEL_DIR ? await OnnxTokenClassifier.load(config.PII_MODEL_DIR) : null;
    const blobs = await createBlobStore(
      config.storageUrl,
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
    );
    // Every line of every part passes the redactor: no secret's shape reaches a log.
    const log = redactingLog(options.log ?? ((line) => console.log(line)));
    const heat = new HeatTally(database.db, log);
    return {
      config,
      database,
      db: database.db,
      blobs,
      jobs,
      embedder,
      piiModel: ner && { name: ner.model, findAll: (texts) => ner.classify(texts) },
      keys,
      heat,
      log,
      close: async () => {
        await heat.close();
        await jobs.close();
        await embedder.close();
        await ner?.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export type Health = { status: "ok" | "degraded"; db: string; queue: string; storage: string };

export async function checkHealth(ctx: AppContext): Promise<Health> {
  const probe = async (fn: () => Promise<void>) => {
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000)),
      ]);
      return "ok";
    } catch {
      return "down";
    }
  };
  const [db, queue, storage] = await Promise.all([
    probe(() => ctx.database.ping()),
    probe(() => ctx.jobs.ping()),
    probe(() => ctx.blobs.ping()),
  ]);
  return {
    status: db === "ok" && queue === "ok" && storage === "ok" ? "ok" : "degraded",
    db,
    queue,
    storage,
  };
}

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { loadConfig, openRuntime, type Runtime } from "@memstore/api";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { attachOnnx, insertBaseModel, loadBaseModel } from "@memstore/api/models";
import { getVersion, publishCube } from "@memstore/api/catalog";
import type { Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import { cudaProviderPath } from "@memstore/inference";
import { buildTinyDecoder } from "@memstore/inference/testing";
import { BullMqProducer, startWorkers } from "@memstore/workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  modelKvSnapshot,
  PROMPT_IDS,
  TINY_CONFIG,
  TINY_TOKENIZER_SHA256,
} from "./support/binary-fixtures.ts";
import { type Proc, spawnMemstore } from "./support/processes.ts";
import { createTestDatabase, REDIS_URL, type TestDatabase, servicesEnv } from "./support/services.ts";
import { waitUntil } from "./support/wait.ts";

/**
 * Services mode through real BullMQ on real Redis: the API process enqueues, separate
 * `memstore worker` processes run the pipeline, and a worker killed mid-job loses nothing.
 */
let database: TestDatabase;
let ctx: Runtime;
let publisher: Subject;
let env: Record<string, string>;
const dataDir = mkdtempSync(join(tmpdir(), "memstore-workers-"));
const workers: Proc[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  env = {
    ...servicesEnv(database, dataDir),
    // A killed worker's job is taken over after this long (30 s in production).
    JOB_LOCK_MS: "2000",
  };
  const config = loadConfig(env);
  ctx = await openRuntime(config, new BullMqProducer(REDIS_URL, config.QUEUE_PREFIX), {
    migrate: true,
    log: () => {},
  });
  const org = await createOrganization(ctx, { name: "Acme", ownerEmail: "owner@acme.test" });
  publisher = await authenticateApiKey(ctx, org.api_key);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await ctx.close();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startWorker(): Promise<Proc> {
  const worker = spawnMemstore(["worker"], env);
  workers.push(worker);
  await worker.waitFor(/ready \(embedder/);
  return worker;
}

async function submit(slug: string, payload: string) {
  const { cube, submitted } = await publishCube(
    ctx,
    publisher,
    { slug, type: "plaintext", title: slug },
    { payload, contentType: "application/x-ndjson" },
  );
  expect(submitted).toEqual({ status: "processing" });
  return cube;
}

const items = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ text: `Fact ${i}: widget ${i % 97} ships from depot ${i % 13}.` }),
  ).join("\n");

describe("BullMQ workers on Redis", () => {
  it("takes a submitted version from processing to ready in a worker process", async () => {
    await startWorker();
    const cube = await submit("small", items(20));
    const version = await waitUntil(async () => {
      const v = await getVersion(ctx, publisher, cube.id, "1.0.0");
      return v.status === "ready" ? v : null;
    });
    expect(version.runs.map((r) => [r.kind, r.status])).toEqual([
      ["ingest", "succeeded"],
      ["desensitise", "succeeded"],
      ["convert", "succeeded"],
      ["embed", "succeeded"],
      // No questions attached: evaluated as skipped, and signed.
      ["evaluate", "succeeded"],
      ["sign", "succeeded"],
    ]);
  });

  it(
    "retries a job whose worker was killed mid-job, in another worker, without duplicating work",
    {
      timeout: 180_000,
    },
    async () => {
      const n = 12_000;
      const cube = await submit("large", items(n));
      const { id: versionId } = await getVersion(ctx, publisher, cube.id, "1.0.0");
      const embedded = async () =>
        (
          await queryRows<{ n: number }>(
            ctx.db,
            sql`select count(*)::int as n from chunks where version_id = ${versionId} and embedding is not null`,
          )
        )[0]!.n;

      // Kill every worker (SIGKILL: no chance to clean up) once embedding is under way.
      await waitUntil(async () => (await embedded()) > 0);
      const before = await embedded();
      for (const w of workers) await w.stop("SIGKILL");
      expect(before).toBeLessThan(n);

      await startWorker();
      const version = await waitUntil(async () => {
        const v = await getVersion(ctx, publisher, cube.id, "1.0.0");
        return v.status === "ready" ? v : null;
      });
      const embed = version.runs.find((r) => r.kind === "embed")!;
      expect(embed.status).toBe("succeeded");
      expect(embed.attempts).toBeGreaterThanOrEqual(2);
      // The second attempt embedded only what the first had not.
      expect(embed.report.embedded_this_attempt).toBeLessThan(n);
      const [counts] = await queryRows<{ total: number; embedded: number; positions: number }>(
        ctx.db,
        sql`select count(*)::int as total, count(embedding)::int as embedded, count(distinct position)::int as positions
          from chunks where version_id = ${versionId}`,
      );
      expect(counts).toEqual({ total: n, embedded: n, positions: n });
    },
  );

  it.skipIf(existsSync(cudaProviderPath()))(
    "refuses to start a --gpu worker where onnxruntime has no CUDA provider, saying how to install it",
    async () => {
      const gpu = spawnMemstore(["worker", "--gpu"], env);
      expect(await gpu.exited).toBe(1);
      expect(gpu.output()).toMatch(
        /memstore worker --gpu cannot start: the CUDA execution provider is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
      );
      expect(gpu.output()).not.toMatch(/ready/);
    },
  );

  it("sends validation to the validate-gpu queue while a GPU worker is connected, and it runs there on CUDA", async () => {
    const producer = new BullMqProducer(REDIS_URL, env.QUEUE_PREFIX);
    expect(await producer.hasConsumers("validate-gpu")).toBe(false);
    // The GPU worker's queue, run in this process (the real processors, asked for CUDA).
    const gpuPool = startWorkers(ctx, {
      redisUrl: REDIS_URL,
      lockMs: 2000,
      prefix: env.QUEUE_PREFIX,
      gpu: true,
      queues: ["validate-gpu"],
    });
    try {
      await waitUntil(() => producer.hasConsumers("validate-gpu"));
      await startWorker();
      const tiny = buildTinyDecoder();
      const model = await insertBaseModel(
        ctx,
        { name: "memstore/tiny-llama", config: TINY_CONFIG, tokenizer_sha256: TINY_TOKENIZER_SHA256 },
        { orgId: null, actor: "test" },
      );
      await attachOnnx(ctx, await loadBaseModel(ctx.db, model.id), Readable.from([tiny.onnx]));
      const { cube } = await publishCube(
        ctx,
        publisher,
        { slug: "gpu-kv", type: "activation", title: "gpu" },
        { payload: await modelKvSnapshot(tiny.onnx, PROMPT_IDS), contentType: "application/vnd.safetensors" },
      );
      const validate = await waitUntil(async () => {
        const v = await getVersion(ctx, publisher, cube.id, "1.0.0");
        return v.runs.find((r) => r.kind === "validate" && r.status !== "running");
      });
      if (existsSync(cudaProviderPath())) {
        expect(validate.report.run).toMatchObject({ provider: "cuda", passed: true });
      } else {
        // No CUDA here: the GPU worker's attempt says so (and will be retried), never falling back to CPU.
        expect(validate.status).toBe("failed");
        expect(String((validate.report.error as { message: string }).message)).toMatch(
          /CUDA execution provider is not installed/,
        );
      }
    } finally {
      await gpuPool.close(1000);
      await producer.close();
    }
  });

  it("stops on SIGTERM after finishing its running jobs", async () => {
    const worker = await startWorker();
    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(worker.output()).toMatch(/SIGTERM: finishing running jobs[\s\S]*stopped/);
  });
});

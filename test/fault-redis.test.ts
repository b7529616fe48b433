import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, openRuntime, type Runtime } from "@memstore/api";
import { createOrganization } from "@memstore/api/identity";
import { type HttpServer, startHttpServer } from "@memstore/web";
import { BullMqProducer } from "@memstore/workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFinal, call, type Draft, draft, expectedOutcome, outcomes, submit } from "./support/fault-bed.ts";
import { startOwnRedis } from "./support/own-services.ts";
import { type Proc, spawnMemstore } from "./support/processes.ts";
import { createTestDatabase, type TestDatabase, servicesEnv } from "./support/services.ts";
import { sleep, waitUntil } from "./support/wait.ts";

/**
 * A Redis restart mid-pipeline loses nothing. The probe: Redis without persistence, a 30 s outage,
 * and 10 of 12 versions stayed `processing` forever; a submit during the outage hung for more than
 * 20 s. Here the test's own Redis is killed while 12 versions are in the pipeline of a real worker
 * process and started again empty; the pipeline sweep finds every version whose job was lost.
 */
let redis: Awaited<ReturnType<typeof startOwnRedis>>;
let database: TestDatabase;
let ctx: Runtime;
let server: HttpServer;
let key: string;
let worker: Proc;
const dataDir = mkdtempSync(join(tmpdir(), "memstore-fault-redis-"));

beforeAll(async () => {
  redis = await startOwnRedis();
  database = await createTestDatabase();
  const env = {
    ...servicesEnv(database, dataDir, redis.url),
    JOB_LOCK_MS: "2000",
    // A version with no stage starting or ending for 3 s, and no live job, is queued again.
    PIPELINE_LEASE_MS: "3000",
  };
  const config = loadConfig(env);
  ctx = await openRuntime(config, new BullMqProducer(redis.url, config.QUEUE_PREFIX), {
    migrate: true,
    log: () => {},
  });
  server = await startHttpServer(ctx, { port: 0, host: "127.0.0.1", portal: "off" });
  key = (await createOrganization(ctx, { name: "Harbour", ownerEmail: "owner@harbour.example.com" })).api_key;
  worker = spawnMemstore(["worker"], env);
  await worker.waitFor(/ready \(embedder/);
});

afterAll(async () => {
  await worker?.stop("SIGKILL");
  await server?.close();
  await ctx?.close();
  await redis?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a Redis restart mid-pipeline", () => {
  it(
    "answers a submit during the outage with 503 at once, and takes every version to ready after",
    { timeout: 240_000 },
    async () => {
      const drafts: Draft[] = [];
      for (let i = 0; i < 12; i++) drafts.push(await draft(server.url, key, `restart-${i}`, 300 + i * 40));
      const during = await draft(server.url, key, "during-outage", 50);
      for (const d of drafts) expect((await submit(server.url, key, d)).status).toBe(202);

      // Redis dies (SIGKILL, no persistence) while the pipeline is under way.
      await waitUntil(
        async () => (await outcomes(ctx.db, drafts)).some((o) => o.chunks > 0),
        60_000,
        "a version chunked",
      );
      await redis.stop();

      const started = Date.now();
      const refused = await submit(server.url, key, during);
      const waited = Date.now() - started;
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe("dependency_down");
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      // Not a hang: the probe's submit waited more than 20 s for Redis to come back.
      expect(waited).toBeLessThan(10_000);
      const left = await call(server.url, key, "GET", `/api/v1/cubes/${during.cubeId}/versions/1.0.0`);
      expect(left.body.status).toBe("draft");

      const health = await call(server.url, key, "GET", "/api/v1/health");
      expect(health.status).toBe(503);
      expect(health.headers.get("content-type")).toContain("application/problem+json");
      expect(health.body).toMatchObject({ code: "dependency_down", db: "ok", queue: "down" });

      await sleep(4_000);
      await redis.start();

      // Left stuck, the worker's own log says why (a sweep that could not re-drive, a connection that did not resume).
      const final = await allFinal(ctx.db, drafts).catch((error: unknown) => {
        throw new Error(
          `${(error as Error).message}\nworker log (last 4,000 characters):\n${worker.output().slice(-4000)}`,
        );
      });
      expect(final).toEqual(drafts.map(expectedOutcome));
      expect(worker.output()).toMatch(/pipeline sweep: ver_\w+ had no live \w+ job; queued it again/);

      // The version refused during the outage goes through once Redis is back.
      expect((await submit(server.url, key, during)).status).toBe(202);
      expect(await allFinal(ctx.db, [during])).toEqual([expectedOutcome(during)]);
      console.log(
        `fault (Redis killed mid-pipeline, restarted empty): ${drafts.length} versions, ${final.filter((o) => o.status === "ready").length} ready, 0 lost; a submit during the outage answered 503 in ${waited} ms`,
      );
    },
  );
});

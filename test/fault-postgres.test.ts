import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, openRuntime, type Runtime, startSweeps } from "@memstore/api";
import { createOrganization } from "@memstore/api/identity";
import { type HttpServer, startHttpServer } from "@memstore/web";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFinal, call, type Draft, draft, expectedOutcome, outcomes, submit } from "./support/fault-bed.ts";
import { startOwnPostgres } from "./support/own-services.ts";
import { sleep, waitUntil } from "./support/wait.ts";

/**
 * A database outage answers 503, never 500, and loses no version. The probe: with the database
 * gone every call answered 500 `internal`. Here the test's own Postgres cluster is stopped while
 * versions are in the pipeline, and started again.
 */
let postgres: Awaited<ReturnType<typeof startOwnPostgres>>;
let ctx: Runtime;
let runner: InProcessRunner;
let server: HttpServer;
let stopSweeps: () => void;
let key: string;
const log: string[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "memstore-fault-pg-"));

beforeAll(async () => {
  postgres = await startOwnPostgres();
  const config = loadConfig({
    DATABASE_URL: postgres.url,
    MEMSTORE_DATA_DIR: dataDir,
    PIPELINE_LEASE_MS: "3000",
  });
  // Retries four times sooner than in production: a stage's five attempts span about 8 s.
  runner = new InProcessRunner((line) => log.push(line), { backoffScale: 0.25 });
  ctx = await openRuntime(config, runner, { migrate: true, log: (line) => log.push(line) });
  runner.register(createProcessors(ctx));
  stopSweeps = startSweeps(ctx);
  server = await startHttpServer(ctx, { port: 0, host: "127.0.0.1", portal: "off" });
  key = (await createOrganization(ctx, { name: "Harbour", ownerEmail: "owner@harbour.example.com" })).api_key;
}, 180_000);

afterAll(async () => {
  // A teardown that hangs says what it waits for (the runner logs the jobs still running).
  const slow = setTimeout(() => console.error(`slow teardown:\n${log.slice(-40).join("\n")}`), 30_000);
  stopSweeps?.();
  await server?.close();
  await ctx?.close();
  clearTimeout(slow);
  await postgres?.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a Postgres outage mid-pipeline", () => {
  it(
    "answers 503 with Retry-After while the database is down, and takes every version to ready after",
    { timeout: 240_000 },
    async () => {
      const drafts: Draft[] = [];
      for (let i = 0; i < 8; i++) drafts.push(await draft(server.url, key, `outage-${i}`, 400 + i * 60));
      for (const d of drafts) expect((await submit(server.url, key, d)).status).toBe(202);

      await waitUntil(
        async () => (await outcomes(ctx.db, drafts)).some((o) => o.chunks > 0),
        60_000,
        "a version chunked",
      );
      await postgres.stop();

      // Every kind of call is a 503 problem with Retry-After, not a 500.
      for (const [method, path] of [
        ["GET", "/api/v1/cubes"],
        ["GET", `/api/v1/cubes/${drafts[0]!.cubeId}/versions/1.0.0`],
        ["POST", "/api/v1/vaults"],
      ] as const) {
        const answer = await call(
          server.url,
          key,
          method,
          path,
          method === "POST" ? { name: "x" } : undefined,
        );
        expect(answer.status, `${method} ${path}`).toBe(503);
        expect(answer.headers.get("content-type")).toContain("application/problem+json");
        expect(answer.body.code).toBe("dependency_down");
        expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
      }
      const health = await call(server.url, key, "GET", "/api/v1/health");
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ code: "dependency_down", db: "down", queue: "ok" });

      await sleep(5_000);
      await postgres.start();

      const final = await allFinal(ctx.db, drafts);
      expect(final).toEqual(drafts.map(expectedOutcome));
      expect(log.join("\n")).not.toMatch(/unhandled error/);
      console.log(
        `fault (Postgres stopped mid-pipeline for 5 s): ${drafts.length} versions, ${final.filter((o) => o.status === "ready").length} ready, 0 lost`,
      );
    },
  );
});

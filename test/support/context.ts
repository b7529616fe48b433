import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, openRuntime, type Runtime } from "@memstore/api";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { createTestDatabase } from "./services.ts";

export type DatabaseKind = "postgres" | "pglite";
export type TestContext = { ctx: Runtime; runner: InProcessRunner; dispose(): Promise<void> };

/**
 * A real runtime on Postgres+pgvector or on embedded PGlite, with blobs in a temporary directory
 * and the in-process runner wired to the workers' processors.
 */
export async function openTestContext(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  options: { log?: (line: string) => void; backoffScale?: number } = {},
): Promise<TestContext> {
  const dataDir = mkdtempSync(join(tmpdir(), "memstore-test-"));
  const database = kind === "postgres" ? await createTestDatabase() : null;
  const config = loadConfig({
    MEMSTORE_DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const runner = new InProcessRunner(options.log, { backoffScale: options.backoffScale });
  const ctx = await openRuntime(config, runner, { migrate: true, log: options.log ?? (() => {}) });
  runner.register(createProcessors(ctx));
  return {
    ctx,
    runner,
    dispose: async () => {
      try {
        // A test that took the database away on purpose leaves it closed already.
        await ctx.close().catch(() => {});
      } finally {
        await database?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Proc, runMemstore, spawnMemstore } from "./support/processes.ts";
import { createTestDatabase, servicesEnv, type TestDatabase } from "./support/services.ts";

/**
 * `memstore serve`, the production command, serves the portal's production build: the probe found
 * it serving Next's development server (pages compiled on demand, development overlays and source
 * exposed), and a second `serve` on the same checkout refusing to start beside the first. Here the
 * portal is built once (`npm run build`, into a folder of this test's own), two `serve` processes
 * run side by side on one database, and each serves the built pages; without a build, `serve`
 * says how to make one.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = ".next-serve-test";
const dir = mkdtempSync(join(tmpdir(), "memstore-serve-"));
let database: TestDatabase;
let env: Record<string, string>;
const procs: Proc[] = [];

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "build"], {
      cwd: ROOT,
      env: { ...process.env, MEMSTORE_NEXT_DIST_DIR: DIST, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed:\n${out}`))));
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  env = {
    ...servicesEnv(database, dir),
    HOST: "127.0.0.1",
    MEMSTORE_NEXT_DIST_DIR: DIST,
  };
  const migrated = await runMemstore(["migrate"], env);
  expect(migrated.code, migrated.stderr).toBe(0);
  await build();
}, 300_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(ROOT, "apps/web", DIST), { recursive: true, force: true });
});

describe("memstore serve", () => {
  it("says how to make the portal's build when there is none, and starts nothing", async () => {
    const refused = await runMemstore(["serve"], { ...env, MEMSTORE_NEXT_DIST_DIR: ".next-never-built" });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("run `npm run build` first");
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs two processes side by side, each serving the production build of the portal", async () => {
    const buildId = readFileSync(join(ROOT, "apps/web", DIST, "BUILD_ID"), "utf8").trim();
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}`;
      procs.push(spawnMemstore(["serve"], { ...env, PORT: String(port), PUBLIC_URL: url }));
    }
    await Promise.all(procs.map((p) => p.waitFor(/listening on .*portal production/, 90_000)));
    for (const port of ports) {
      const page = await fetch(`http://127.0.0.1:${port}/signin`);
      expect(page.status).toBe(200);
      const html = await page.text();
      // Built pages carry their build's id; the development server's say "development".
      expect(html).toContain(buildId);
      expect(html).not.toContain("development");
      const health = await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json();
      expect(health).toMatchObject({ status: "ok", db: "ok", queue: "ok" });
    }
    for (const p of procs) expect(p.output()).not.toMatch(/already running|unhandled/i);
  });
});

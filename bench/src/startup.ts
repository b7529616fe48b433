/**
 * bench/startup: wall-clock time from launching `memstore dev` (what `npm start` runs) to its
 * "ready" line, on a fresh data directory (migrations + demo seeding) and on a second start.
 *
 *   npm run bench:startup -- --runs 3
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { summarise } from "./stats.ts";

const BIN = fileURLToPath(new URL("../../apps/cli/bin/memstore.js", import.meta.url));
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 3);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function timeToReady(dataDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, "dev"], {
    env: {
      ...process.env,
      MEMSTORE_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      DATABASE_URL: "",
      REDIS_URL: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("MemStore is ready")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`memstore dev exited (${code}) before ready:\n${out}`)));
  });
  const ms = performance.now() - started;
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  return ms;
}

const fresh: number[] = [];
const again: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), "memstore-startup-"));
  fresh.push(await timeToReady(dir));
  again.push(await timeToReady(dir));
  rmSync(dir, { recursive: true, force: true });
}
const f = summarise(fresh);
const a = summarise(again);
console.log(
  `npm start → ready, fresh data dir (migrate + seed demo): p50 ${(f.p50 / 1000).toFixed(2)} s, max ${(Math.max(...fresh) / 1000).toFixed(2)} s`,
);
console.log(
  `npm start → ready, existing data dir:                    p50 ${(a.p50 / 1000).toFixed(2)} s, max ${(Math.max(...again) / 1000).toFixed(2)} s`,
);

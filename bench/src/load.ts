/**
 * bench/load: vault searches per second against `memstore serve` (services mode, a real process),
 * driven by autocannon over loopback for a bounded time at each connection count.
 *
 *   npm run bench:load -- [--items 200] [--duration 10] [--connections 1,16] [--profile <dir>]
 *                         [--ingest-cubes 20] [--ingest-items 500] [--ingest-parallel 4] [--worker-nice 10]
 *
 * A fresh database gets a published cube of N memory items (through the real pipeline, in this
 * process), a subscriber's vault installing it and an agent key bound to that vault; then `memstore
 * serve` starts on it and each run searches with rotating questions. Prints requests/s and latency
 * percentiles per connection count (the single connection run is the baseline the concurrent runs
 * compare to), and writes bench/results/load.{json,svg}. With `--ingest-cubes N` (0: off), the
 * largest connection count runs once more while a `memstore worker` process publishes N cubes
 * beside it (the way a busy store runs), and the p99 ratio against the same count searching alone
 * is printed: search's share of the machine while publishing.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig, openRuntime } from "@memstore/api";
import { authenticateApiKey, createApiKey, createOrganization } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/listings";
import { publishCube } from "@memstore/api/catalog";
import { acquireListing } from "@memstore/api/store";
import { createVault, installListing } from "@memstore/api/vaults";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import autocannon from "autocannon";
import { benchArgs, freshDatabase } from "./bench-db.ts";
import { memoryItemsJsonl, startPublishing } from "./publish-load.ts";
import { barChartSvg, machineBusyMs } from "./stats.ts";

const args = benchArgs();
const items = Number(args.items ?? 200);
const duration = Math.min(60, Number(args.duration ?? 10));
const connectionCounts = (args.connections ?? "1,16").split(",").map(Number);
const ingest = {
  cubes: Math.min(200, Number(args["ingest-cubes"] ?? 20)),
  items: Math.min(5_000, Number(args["ingest-items"] ?? 500)),
  parallel: Math.min(16, Number(args["ingest-parallel"] ?? 4)),
  // --worker-nice 0: the worker at the web process's priority, to compare against the default.
  workerEnv: (args["worker-nice"] === undefined ? {} : { WORKER_NICE: args["worker-nice"] }) as Record<
    string,
    string
  >,
};
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const TOPICS = ["harbour", "crane", "tide", "berth", "pilot", "customs", "cargo", "ferry", "lock", "quay"];
const DB = "memstore_bench_load";

const url = await freshDatabase(DB);
const dataDir = mkdtempSync(join(tmpdir(), "memstore-load-"));
const env = {
  DATABASE_URL: url.toString(),
  REDIS_URL,
  MEMSTORE_DATA_DIR: dataDir,
  QUEUE_PREFIX: "bench-load",
};

// The vault, set up through the services in this process.
const runner = new InProcessRunner();
const ctx = await openRuntime(loadConfig(env), runner, { migrate: true, log: () => {} });
runner.register(createProcessors(ctx));
const pub = await createOrganization(ctx, { name: "Load Publisher", ownerEmail: "pub@load.example.com" });
const publisher = await authenticateApiKey(ctx, pub.api_key);
const texts = Array.from({ length: items }, (_, i) => {
  const [a, b, c] = [TOPICS[i % 10], TOPICS[(i * 3) % 10], TOPICS[(i * 7) % 10]];
  return `Rule ${i}: the ${a} team checks the ${b} before the ${c} moves, and logs it in book ${i % 17}.`;
});
const { cube } = await publishCube(
  ctx,
  publisher,
  { slug: "port-ops", type: "plaintext", title: "Port operations" },
  { payload: memoryItemsJsonl(texts), contentType: "application/x-ndjson" },
);
await runner.idle();
const listing = await createListing(ctx, publisher, {
  cube_id: cube.id,
  visibility: "public",
  pricing: { model: "free" },
});
await publishListing(ctx, publisher, listing.id);
const sub = await createOrganization(ctx, { name: "Load Agents", ownerEmail: "sub@load.example.com" });
const subscriber = await authenticateApiKey(ctx, sub.api_key);
await acquireListing(ctx, subscriber, listing.id);
const vault = await createVault(ctx, subscriber, { name: "agents" });
await installListing(ctx, subscriber, vault.id, { listing_id: listing.id, version_policy: "latest" });
await runner.idle();
const key = await createApiKey(ctx, subscriber, {
  name: "agent",
  scopes: ["vault:read"],
  vault_id: vault.id,
});
await ctx.close();

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const serve = spawn(
  process.execPath,
  [
    // --profile <dir>: a CPU profile of the serve process under load, written when it stops.
    ...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : []),
    fileURLToPath(new URL("../../apps/cli/bin/memstore.js", import.meta.url)),
    "serve",
  ],
  {
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", PORTAL: "off", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
await new Promise<void>((resolve, reject) => {
  serve.stdout.on("data", (d: Buffer) => d.toString().includes("listening") && resolve());
  serve.on("exit", (code) => reject(new Error(`memstore serve exited with ${code}`)));
});

type Run = Awaited<ReturnType<typeof measure>>;
const runs: Run[] = [];
for (const connections of connectionCounts) runs.push(await measure(connections, "alone"));
let publishing: { seconds: number; chunks_per_s: number } | null = null;
if (ingest.cubes > 0) {
  const busiest = Math.max(...connectionCounts);
  const publisher = await startPublishing(env, ingest);
  // The pipeline under way before the searches start, so every search shares the machine with it.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  runs.push(await measure(busiest, "while publishing"));
  publishing = await publisher.done;
  await publisher.stop();
}
serve.kill("SIGTERM");
await new Promise((resolve) => serve.once("exit", resolve));

/** One autocannon run of `connections` searchers for `duration` seconds: rate, latency, CPU. */
async function measure(connections: number, beside: "alone" | "while publishing") {
  let n = 0;
  const before = { serve: processCpuMs(serve.pid!), self: process.cpuUsage(), machine: machineBusyMs() };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/v1/vaults/${vault.id}/search`,
    connections,
    duration,
    requests: [
      {
        method: "POST",
        headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ query: `${TOPICS[n % 10]} ${TOPICS[(n++ * 7) % 10]} rules`, top_k: 5 }),
        }),
      },
    ],
  });
  // Where the CPU went, per search: the serve process, autocannon (this process), and the rest of
  // the machine (Postgres, mostly), in core-milliseconds.
  const searches = result.requests.total;
  const self = process.cpuUsage(before.self);
  const serveMs = processCpuMs(serve.pid!) - before.serve;
  const selfMs = (self.user + self.system) / 1000;
  const cpu = {
    serve: serveMs / searches,
    autocannon: selfMs / searches,
    rest: (machineBusyMs() - before.machine - serveMs - selfMs) / searches,
  };
  return {
    connections,
    beside,
    cpu_core_ms_per_search: cpu,
    requests_per_s: Math.round(result.requests.average),
    latency_ms: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors,
    non_2xx: result.non2xx,
  };
}

console.log(`\nbench/load: ${items}-item vault, ${duration} s per run, memstore serve on loopback`);
console.log(
  "connections  beside            searches/s  p50 ms  p90 ms  p99 ms  errors  non-2xx  CPU core-ms/search: serve  postgres+rest  autocannon",
);
for (const r of runs)
  console.log(
    `${String(r.connections).padEnd(12)} ${r.beside.padEnd(17)} ${String(r.requests_per_s).padEnd(11)} ${String(r.latency_ms.p50).padEnd(7)} ${String(r.latency_ms.p90).padEnd(7)} ${String(r.latency_ms.p99).padEnd(7)} ${String(r.errors).padEnd(7)} ${String(r.non_2xx).padEnd(8)} ${r.cpu_core_ms_per_search.serve.toFixed(2).padStart(25)}  ${r.cpu_core_ms_per_search.rest.toFixed(2).padStart(13)}  ${r.cpu_core_ms_per_search.autocannon.toFixed(2).padStart(10)}`,
  );
const busy = runs.find((r) => r.beside === "while publishing");
const calm = busy && runs.find((r) => r.beside === "alone" && r.connections === busy.connections);
if (busy && calm && publishing)
  console.log(
    `\nwhile publishing ${ingest.cubes} cubes × ${ingest.items} items (${publishing.chunks_per_s} chunks/s, ${publishing.seconds.toFixed(0)} s): search p99 ${busy.latency_ms.p99} ms against ${calm.latency_ms.p99} ms alone = ${(busy.latency_ms.p99 / calm.latency_ms.p99).toFixed(2)}×, searches/s ${busy.requests_per_s} against ${calm.requests_per_s}`,
  );
const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("load.json", out),
  JSON.stringify({ date: new Date().toISOString(), items, duration, ingest, publishing, runs }, null, 2),
);
writeFileSync(
  new URL("load.svg", out),
  barChartSvg(`Vault search under load (${items} items): searches/s and latency`, "", [
    ...runs.map((r) => ({ label: label(r), bars: { "searches/s": r.requests_per_s } })),
    ...runs.map((r) => ({
      label: `${label(r)} ms`,
      bars: { p50: r.latency_ms.p50, p99: r.latency_ms.p99 },
    })),
  ]),
);
process.exit(0);

function label(r: Run) {
  return `${r.connections} conn${r.beside === "alone" ? "" : " + publishing"}`;
}

/** A process's CPU time (user + system) in milliseconds, from /proc (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

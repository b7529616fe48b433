/**
 * bench/ingest: plaintext cubes from submit to ready, end to end through the real pipeline
 * (ingest → desensitise → convert → embed → sign) with the built-in embedder, on Postgres.
 *
 *   npm run bench:ingest -- [--cubes 24] [--items 500] [--parallel 4]
 *
 * Publishers' cubes of N JSONL memory items (about 200 characters each) are submitted `parallel` at
 * a time into a store that grows as they land. Prints chunks/s end to end, each cube's submit→ready
 * time, where the time goes (each stage's summed duration), and what the chunks table's indexes
 * cost per row: the same rows inserted into copies of the table with no index, with the full-text
 * GIN index, with the HNSW index and with both. Writes bench/results/ingest.{json,svg}.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { loadConfig, openRuntime } from "@memstore/api";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createCube, createVersion, getVersion, submitVersion, uploadPayload } from "@memstore/api/catalog";
import { processingRuns, queryRows, sql } from "@memstore/db";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { inArray } from "drizzle-orm";
import { benchArgs, freshDatabase } from "./bench-db.ts";
import { indexCosts } from "./ingest-indexes.ts";
import { barChartSvg, machineBusyMs, summarise } from "./stats.ts";

const args = benchArgs();
const cubes = Math.min(400, Number(args.cubes ?? 24));
const items = Math.min(20_000, Number(args.items ?? 500));
const parallel = Math.min(16, Number(args.parallel ?? 4));
const DB = "memstore_bench_ingest";
const WORDS = [
  "harbour",
  "crane",
  "tide",
  "berth",
  "pilot",
  "customs",
  "cargo",
  "ferry",
  "lock",
  "quay",
  "tug",
  "buoy",
];

const url = await freshDatabase(DB);
const runner = new InProcessRunner();
const config = loadConfig({
  DATABASE_URL: url.toString(),
  MEMSTORE_DATA_DIR: mkdtempSync(join(tmpdir(), "memstore-ingest-")),
});
const ctx = await openRuntime(config, runner, { migrate: true, log: () => {} });
runner.register(createProcessors(ctx));
const org = await createOrganization(ctx, { name: "Ingest Publisher", ownerEmail: "pub@ingest.example.com" });
const publisher = await authenticateApiKey(ctx, org.api_key);

/** The server's WAL written so far (bytes, full-page images) and its checkpoints. */
async function walStats() {
  const [row] = await queryRows<{ bytes: string; fpi: string; checkpoints: string }>(
    ctx.db,
    sql`select w.wal_bytes::text as bytes, w.wal_fpi::text as fpi,
          (b.checkpoints_timed + b.checkpoints_req)::text as checkpoints
        from pg_stat_wal w, pg_stat_bgwriter b`,
  );
  return { bytes: Number(row!.bytes), fpi: Number(row!.fpi), checkpoints: Number(row!.checkpoints) };
}

/** A cube's JSONL: items of about 200 characters, distinct across cubes. */
function jsonlOf(cube: number, count = items) {
  return Array.from({ length: count }, (_, i) => {
    const w = (k: number) => WORDS[(cube * 7 + i * k) % WORDS.length];
    const text = `Rule ${cube}.${i}: before the ${w(1)} moves, the ${w(3)} crew checks the ${w(5)} and the ${w(7)}, logs the reading in book ${i % 17}, and tells the ${w(11)} office on channel ${(cube + i) % 70}.`;
    return JSON.stringify({ text, tags: [w(1)] });
  }).join("\n");
}

async function publish(n: number) {
  const cube = await createCube(ctx, publisher, {
    slug: `ingest-${n}`,
    type: "plaintext",
    title: `Cube ${n}`,
  });
  await createVersion(ctx, publisher, cube.id, { version: "1.0.0" });
  const body = Readable.from([Buffer.from(jsonlOf(n))]);
  await uploadPayload(ctx, publisher, { cubeId: cube.id, version: "1.0.0" }, body, "application/x-ndjson");
  const started = performance.now();
  await submitVersion(ctx, publisher, cube.id, "1.0.0");
  for (;;) {
    const version = await getVersion(ctx, publisher, cube.id, "1.0.0");
    if (version.status === "ready") return { versionId: version.id, ms: performance.now() - started };
    if (version.status === "rejected") throw new Error(`cube ${n} was rejected`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

console.log(
  `bench/ingest: ${cubes} cubes × ${items} items, ${parallel} at a time, embedder ${ctx.embedder.model}`,
);
const perCube: number[] = [];
const versionIds: string[] = [];
const started = performance.now();
const cpuBefore = { node: process.cpuUsage(), machine: machineBusyMs() };
const walBefore = await walStats();
// `parallel` publishers at once, each starting its next cube as soon as one is ready (no waves).
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(parallel, cubes) }, async () => {
    for (let n = next++; n < cubes; n = next++) {
      const { versionId, ms } = await publish(n);
      perCube.push(ms);
      versionIds.push(versionId);
    }
  }),
);
const wallS = (performance.now() - started) / 1000;
// CPU per 1,000 chunks: this process (Node: the app and its workers) and the whole machine (the
// rest is Postgres), in core-milliseconds; the machine has os.availableParallelism() cores.
const nodeUsage = process.cpuUsage(cpuBefore.node);
const cpu = {
  node: (nodeUsage.user + nodeUsage.system) / 1000 / ((cubes * items) / 1000),
  machine: (machineBusyMs() - cpuBefore.machine) / ((cubes * items) / 1000),
};
const walAfter = await walStats();
const chunkRate = (cubes * items) / wallS;
const cubeTimes = summarise(perCube);
console.log(
  `end to end: ${cubes * items} chunks in ${wallS.toFixed(1)} s = ${chunkRate.toFixed(0)} chunks/s; submit→ready per cube p50 ${cubeTimes.p50.toFixed(0)} ms, p95 ${cubeTimes.p95.toFixed(0)} ms`,
);

// Where the time goes: each stage's duration, summed over the cubes, per 1,000 chunks.
const runs = await ctx.db
  .select({ kind: processingRuns.kind, report: processingRuns.report })
  .from(processingRuns)
  .where(inArray(processingRuns.versionId, versionIds));
const stageMs: Record<string, number> = {};
for (const run of runs) stageMs[run.kind] = (stageMs[run.kind] ?? 0) + Number(run.report.duration_ms ?? 0);
const per1k = Object.fromEntries(
  Object.entries(stageMs).map(([stage, ms]) => [stage, (ms / (cubes * items)) * 1000]),
);
console.log(
  `CPU per 1,000 chunks: ${cpu.machine.toFixed(0)} core-ms on the machine (${availableParallelism()} cores), of which Node ${cpu.node.toFixed(0)}, the rest mostly Postgres`,
);
// The WAL the store wrote meanwhile: a full-page image is a whole 8 kB page logged the first time
// it changes after a checkpoint; an HNSW insert changes its neighbours' pages.
const wal = {
  kb: (walAfter.bytes - walBefore.bytes) / 1024 / ((cubes * items) / 1000),
  full_page_images: (walAfter.fpi - walBefore.fpi) / ((cubes * items) / 1000),
  checkpoints: walAfter.checkpoints - walBefore.checkpoints,
};
console.log(
  `WAL per 1,000 chunks: ${(wal.kb / 1024).toFixed(1)} MiB, ${wal.full_page_images.toFixed(0)} full-page images; ${wal.checkpoints} checkpoints during the run`,
);
console.log("stage time per 1,000 chunks (ms, summed over cubes; stages of different cubes overlap):");
for (const [stage, ms] of Object.entries(per1k)) console.log(`  ${stage.padEnd(12)} ${ms.toFixed(0)}`);

// What the indexes cost: the same rows into copies of chunks with none, GIN, HNSW, both.
const costs = await indexCosts(
  ctx,
  Array.from({ length: 10 }, (_, k) => jsonlOf(9000 + k, 500).split("\n"))
    .flat()
    .map((l) => (JSON.parse(l) as { text: string }).text),
);
console.log("rows/s storing the same 5,000 chunks (with vectors) in a copy of the table, by its indexes:");
for (const [label, rate] of Object.entries(costs)) console.log(`  ${label.padEnd(14)} ${rate.toFixed(0)}`);
const [stored] = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from chunks`);

mkdirSync("bench/results", { recursive: true });
const result = {
  cubes,
  items,
  parallel,
  embedder: ctx.embedder.model,
  chunks_in_store: stored?.n,
  end_to_end: { chunks_per_s: chunkRate, wall_s: wallS, submit_to_ready_ms: cubeTimes },
  cpu_core_ms_per_1k_chunks: cpu,
  wal_per_1k_chunks: wal,
  stage_ms_per_1k_chunks: per1k,
  insert_rows_per_s: costs,
};
writeFileSync("bench/results/ingest.json", JSON.stringify(result, null, 2));
writeFileSync(
  "bench/results/ingest.svg",
  barChartSvg("Inserting chunks: rows/s by the indexes on the table", "rows/s", [
    { label: "insert", bars: costs },
    { label: "pipeline", bars: { "end to end": chunkRate } },
  ]),
);
console.log("wrote bench/results/ingest.{json,svg}");
await ctx.close();

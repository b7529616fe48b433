/**
 * bench/download: an installed binary payload downloaded through the API against reading the same
 * file directly, in the same run; and how fast an organisation's fingerprinted copy is written.
 *
 *   npm run bench:download -- [--mb 1024] [--rounds 3]
 *
 * A KV snapshot of about `--mb` megabytes (F32, 16 layers × 8 KV heads × 128 head dim, as many
 * tokens as fit) is generated to a file chunk by chunk, published through the real pipeline
 * (ingest, convert, validate, sign) against a registered base model, listed, acquired and installed
 * by a subscriber. Every read is done by curl in its own process (`file://` for the file itself),
 * `--rounds` times each, first with the file in the page cache (warm: the transport is the limit),
 * then, where the bench may empty the cache (root on Linux), from the disk (cold):
 * - the subscriber's copy read directly from its file (the baseline);
 * - the same blob served by a bare node:http server in this process (no routing, authentication
 *   or lookup: the transport's own ceiling);
 * - the copy downloaded through the API with the subscriber's API key.
 * Printed: GB/s for each, the API's ratio to the baseline (target ≥ 0.8) and to bare node:http
 * (what MemStore's own code costs), its time to first byte, fingerprinting GB/s, and the server
 * process's peak RSS (flat memory: it does not grow with the file). Written to
 * bench/results/download.{json,svg}.
 */
import { createReadStream, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig, openRuntime } from "@memstore/api";
import { SAFETENSORS } from "@memstore/core";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { insertBaseModel } from "@memstore/api/models";
import {
  createCube,
  createVersion,
  createVersionInput,
  submitVersion,
  uploadPayload,
} from "@memstore/api/catalog";
import { createListing, publishListing } from "@memstore/api/listings";
import { acquireListing } from "@memstore/api/store";
import { createVault, installListing } from "@memstore/api/vaults";
import { fingerprintedCopy } from "@memstore/api/watermarking";
import { cubeVersions } from "@memstore/db";
import { startHttpServer } from "@memstore/web";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { eq } from "drizzle-orm";
import pg from "pg";
import {
  bareHttpServer,
  BYTES_PER_TOKEN,
  type ClientRead,
  curlRead,
  dropPageCache,
  MODEL,
  TOKENIZER_SHA256,
  writeSnapshot,
} from "./download-tools.ts";
import { barChartSvg } from "./stats.ts";

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const megabytes = Number(args.mb ?? 1024);
const rounds = Number(args.rounds ?? 3);
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const tokens = Math.max(1, Math.floor((megabytes * 2 ** 20) / BYTES_PER_TOKEN));
const peakRss = () => process.resourceUsage().maxRSS / 1024;

await new Promise<void>((resolve) =>
  execFile("curl", ["--version"], (error) => {
    if (error) {
      console.error("bench:download measures with curl, which is not installed (apt-get install curl)");
      process.exit(1);
    }
    resolve();
  }),
);

const dir = mkdtempSync(join(tmpdir(), "memstore-bench-download-"));
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query("drop database if exists bench_download with (force)");
await admin.query("create database bench_download");
await admin.end();
const url = new URL(ADMIN_URL);
url.pathname = "/bench_download";
const runner = new InProcessRunner();
const ctx = await openRuntime(
  loadConfig({
    DATABASE_URL: url.toString(),
    MEMSTORE_DATA_DIR: dir,
    MAX_PAYLOAD_BYTES: String(4 * megabytes * 2 ** 20),
  }),
  runner,
  { migrate: true, log: () => {} },
);
runner.register(createProcessors(ctx));
const server = await startHttpServer(ctx, { port: 0, host: "127.0.0.1" });

try {
  const file = join(dir, "snapshot.safetensors");
  await writeSnapshot(file, tokens);
  const size = statSync(file).size;
  console.log(
    `bench/download: a KV snapshot of ${(size / 1e9).toFixed(2)} GB (${tokens} tokens × ${MODEL.num_hidden_layers} layers)\n`,
  );

  await insertBaseModel(
    ctx,
    { name: MODEL._name_or_path, config: MODEL, tokenizer_sha256: TOKENIZER_SHA256 },
    { orgId: null, actor: "bench" },
  );
  const pub = await createOrganization(ctx, { name: "Bench Publisher", ownerEmail: "pub@bench.example.com" });
  const publisher = await authenticateApiKey(ctx, pub.api_key);
  const cube = await createCube(ctx, publisher, {
    slug: "kv",
    type: "activation",
    title: "kv",
    description: "",
    tags: [],
  });
  await createVersion(ctx, publisher, cube.id, createVersionInput.parse({ version: "1.0.0" }));
  let start = performance.now();
  await uploadPayload(
    ctx,
    publisher,
    { cubeId: cube.id, version: "1.0.0" },
    createReadStream(file),
    SAFETENSORS,
  );
  const uploadSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  await submitVersion(ctx, publisher, cube.id, "1.0.0");
  await runner.idle();
  const pipelineSeconds = (performance.now() - start) / 1000;
  const [version] = await ctx.db.select().from(cubeVersions).where(eq(cubeVersions.cubeId, cube.id));
  if (version!.status !== "ready") throw new Error(`the snapshot did not become ready: ${version!.status}`);
  const listing = await createListing(ctx, publisher, {
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "free" },
  });
  await publishListing(ctx, publisher, listing.id);

  const sub = await createOrganization(ctx, {
    name: "Bench Subscriber",
    ownerEmail: "sub@bench.example.com",
  });
  const subscriber = await authenticateApiKey(ctx, sub.api_key);
  const vault = await createVault(ctx, subscriber, { name: "main" });
  await acquireListing(ctx, subscriber, listing.id);
  start = performance.now();
  const install = await installListing(ctx, subscriber, vault.id, {
    listing_id: listing.id,
    version_policy: "latest",
  });
  await runner.idle();
  const fingerprintSeconds = (performance.now() - start) / 1000;
  const copy = await fingerprintedCopy(ctx, version!, sub.org_id);

  const [blobPath] = await new Promise<string[]>((resolve, reject) =>
    execFile("find", [dir, "-name", copy.digest.slice("sha256:".length)], (error, out) =>
      error ? reject(new Error(error.message, { cause: error })) : resolve(out.trim().split("\n")),
    ),
  );
  const bare = await bareHttpServer(ctx.blobs, copy.digest, copy.size);
  const apiUrl = `${server.url}/api/v1/vaults/${vault.id}/installs/${install.id}/payload`;
  const auth = { authorization: `Bearer ${sub.api_key}` };
  const checked = (read: ClientRead) => {
    if (read.bytes !== copy.size) throw new Error(`read ${read.bytes} of ${copy.size} bytes`);
    return read;
  };
  type Round = { file: ClientRead; bare_http: ClientRead; api: ClientRead };
  const warm: Round[] = [];
  const cold: Round[] = [];
  // The pipeline's files are written back first (so the kernel's writeback does not share the
  // rounds), and the file is read once so that the warm rounds find it in the page cache.
  const canDrop = await dropPageCache();
  await curlRead(`file://${blobPath}`);
  for (let r = 0; r < rounds; r++) {
    warm.push({
      file: checked(await curlRead(`file://${blobPath}`)),
      bare_http: checked(await curlRead(bare.url)),
      api: checked(await curlRead(apiUrl, auth)),
    });
  }
  const coldRead = async (url: string, headers?: Record<string, string>) => {
    await dropPageCache();
    return checked(await curlRead(url, headers));
  };
  for (let r = 0; canDrop && r < rounds; r++) {
    cold.push({
      file: await coldRead(`file://${blobPath}`),
      bare_http: await coldRead(bare.url),
      api: await coldRead(apiUrl, auth),
    });
  }
  bare.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = (reads: Round[]) => {
    if (reads.length === 0) return null;
    const of = (k: keyof Round) => median(reads.map((r) => r[k].gb_s));
    return {
      file_gb_s: of("file"),
      bare_http_gb_s: of("bare_http"),
      api_gb_s: of("api"),
      api_ratio: of("api") / of("file"),
      api_ratio_to_bare_http: of("api") / of("bare_http"),
      api_ttfb_ms: median(reads.map((r) => r.api.ttfb_ms)),
      rounds: reads.map((r) => ({ file: r.file.gb_s, bare_http: r.bare_http.gb_s, api: r.api.gb_s })),
    };
  };
  const results = {
    bytes: size,
    tokens,
    client: "curl",
    upload_gb_s: size / 1e9 / uploadSeconds,
    pipeline_seconds: pipelineSeconds,
    fingerprint_gb_s: size / 1e9 / fingerprintSeconds,
    warm: summary(warm)!,
    cold: summary(cold),
    peak_rss_mb: peakRss(),
  };
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  console.log("step                               figure");
  console.log(`upload (streamed, hashed)          ${results.upload_gb_s.toFixed(3)} GB/s`);
  console.log(`pipeline (ingest→sign)             ${results.pipeline_seconds.toFixed(1)} s`);
  console.log(`fingerprinted copy (install job)   ${results.fingerprint_gb_s.toFixed(3)} GB/s`);
  for (const [label, figures] of [
    ["page cache warm", results.warm],
    ["page cache cold (read from disk)", results.cold],
  ] as const) {
    if (!figures) {
      console.log(`${label}: skipped (emptying the page cache needs root on Linux)`);
      continue;
    }
    console.log(`${label}:`);
    console.log(`  the file read directly by curl    ${figures.file_gb_s.toFixed(3)} GB/s (baseline)`);
    console.log(`  bare node:http of the same blob   ${figures.bare_http_gb_s.toFixed(3)} GB/s`);
    console.log(
      `  download through the API          ${figures.api_gb_s.toFixed(3)} GB/s  (${pct(figures.api_ratio)} of baseline, ${pct(figures.api_ratio_to_bare_http)} of bare node:http; first byte after ${figures.api_ttfb_ms.toFixed(0)} ms)`,
    );
  }
  console.log(`peak RSS of the server process     ${results.peak_rss_mb.toFixed(0)} MB`);
  const out = new URL("../results/", import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL("download.json", out), JSON.stringify(results, null, 2));
  const series = (warmValue: number, coldValue?: number): Record<string, number> =>
    coldValue === undefined ? { warm: warmValue } : { warm: warmValue, cold: coldValue };
  writeFileSync(
    new URL("download.svg", out),
    barChartSvg(`payload of ${(size / 1e9).toFixed(2)} GB read by curl, median of ${rounds}`, "GB/s", [
      { label: "file read directly", bars: series(results.warm.file_gb_s, results.cold?.file_gb_s) },
      { label: "bare node:http", bars: series(results.warm.bare_http_gb_s, results.cold?.bare_http_gb_s) },
      { label: "API download", bars: series(results.warm.api_gb_s, results.cold?.api_gb_s) },
      { label: "fingerprinting", bars: { warm: results.fingerprint_gb_s } },
    ]),
  );
} finally {
  await server.close();
  await ctx.close();
}

/**
 * bench/download: an installed binary payload served through the API against reading the same
 * blob straight from storage, in the same process; and how fast an organisation's fingerprinted
 * copy is written.
 *
 *   npm run bench:download -- [--mb 1024] [--rounds 3]
 *
 * A KV snapshot of about `--mb` megabytes (F32, 16 layers × 8 KV heads × 128 head dim, as many
 * tokens as fit) is generated to a file chunk by chunk, published through the real pipeline
 * (ingest, convert, validate, sign) against a registered base model, listed, acquired and installed
 * by a subscriber. Then, `--rounds` times each:
 * - the subscriber's copy read from the blob store in this process (the baseline);
 * - the same file read by a client process from disk;
 * - the same blob served by a bare node:http server in this process (no routing, authentication
 *   or lookup: the transport's own ceiling) and downloaded by a client process;
 * - the copy downloaded through the API by the same client, with the subscriber's API key.
 * Printed: GB/s for each, the API's ratio to the baseline (target ≥ 0.8) and to bare node:http
 * (what MemStore's own code costs), its time to first byte, fingerprinting GB/s, and peak RSS
 * (flat memory: it does not grow with the file). Written to bench/results/download.{json,svg}.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  acquireListing,
  authenticateApiKey,
  createCube,
  createListing,
  createOrganization,
  createVault,
  createVersion,
  createVersionInput,
  fingerprintedCopy,
  insertBaseModel,
  installListing,
  loadConfig,
  openRuntime,
  publishListing,
  submitVersion,
  uploadPayload,
} from "@memstore/api";
import { cubeVersions } from "@memstore/db";
import { inputIdsTensor, kvMetadata, type TensorSource, writeSafetensors } from "@memstore/formats";
import { InProcessRunner } from "@memstore/queue";
import { startHttpServer } from "@memstore/web";
import { createProcessors } from "@memstore/workers";
import { eq } from "drizzle-orm";
import pg from "pg";
import { barChartSvg } from "./stats.ts";

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const megabytes = Number(args.mb ?? 1024);
const rounds = Number(args.rounds ?? 3);
const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const LAYERS = 16;
const KV_HEADS = 8;
const HEAD_DIM = 128;
const perToken = LAYERS * 2 * KV_HEADS * HEAD_DIM * 4;
const tokens = Math.max(1, Math.floor((megabytes * 2 ** 20) / perToken));
const peakRss = () => process.resourceUsage().maxRSS / 1024;

const MODEL = {
  _name_or_path: "bench/kv-16l",
  num_hidden_layers: LAYERS,
  hidden_size: 4096,
  num_attention_heads: 32,
  num_key_value_heads: KV_HEADS,
  head_dim: HEAD_DIM,
  intermediate_size: 14336,
  vocab_size: 32000,
};
const TOKENIZER_SHA256 = createHash("sha256").update("bench tokenizer").digest("hex");

async function writeSnapshot(path: string) {
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919) % MODEL.vocab_size);
  const count = KV_HEADS * tokens * HEAD_DIM;
  const tensors: TensorSource[] = [inputIdsTensor(ids)];
  for (let l = 0; l < LAYERS; l++) {
    for (const side of ["key", "value"]) {
      tensors.push({
        name: `past_key_values.${l}.${side}`,
        dtype: "F32",
        shape: [1, KV_HEADS, tokens, HEAD_DIM],
        data: (async function* () {
          let seed = l * 2 + (side === "key" ? 1 : 2);
          for (let left = count; left > 0; left -= 1 << 18) {
            const values = new Float32Array(Math.min(left, 1 << 18));
            for (let j = 0; j < values.length; j++) {
              seed = (seed * 1664525 + 1013904223) >>> 0;
              values[j] = seed / 2 ** 32 - 0.5;
            }
            yield new Uint8Array(values.buffer);
          }
        })(),
      });
    }
  }
  const metadata = kvMetadata({
    baseModel: MODEL._name_or_path,
    tokenizerSha256: TOKENIZER_SHA256,
    dtype: "F32",
    ids,
  });
  await pipeline(Readable.from(writeSafetensors(tensors, { ...metadata })), createWriteStream(path));
}

async function timeRead(stream: AsyncIterable<Uint8Array>) {
  const start = performance.now();
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  const seconds = (performance.now() - start) / 1000;
  return { bytes, seconds, gb_s: bytes / 1e9 / seconds };
}

/** What a client process measured: bytes, total seconds, time to first byte, GB/s overall and once streaming. */
type ClientRead = { bytes: number; seconds: number; gb_s: number; ttfb_ms: number; streaming_gb_s: number };

/** Counts the bytes of a stream in the client process and prints what it measured. */
const CLIENT_MEASURE = `
  const measure = (stream, start) => {
    let bytes = 0;
    let first = 0;
    stream.on("data", (c) => {
      if (bytes === 0) first = performance.now();
      bytes += c.length;
    });
    stream.on("end", () => {
      const end = performance.now();
      console.log(JSON.stringify({
        bytes,
        seconds: (end - start) / 1000,
        gb_s: bytes / 1e9 / ((end - start) / 1000),
        ttfb_ms: first - start,
        streaming_gb_s: bytes / 1e9 / ((end - first) / 1000),
      }));
    });
  };`;

async function inChildProcess(script: string, args: string[]): Promise<ClientRead> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ["-e", CLIENT_MEASURE + script, ...args], (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
  return JSON.parse(stdout) as ClientRead;
}

/**
 * Downloads in another process (node:http, as curl would): the server keeps this process's event
 * loop to itself, as it would in production, and the figure is the server's.
 */
const downloadInChildProcess = (url: string, key: string) =>
  inChildProcess(
    `const start = performance.now();
     require("node:http").get(process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } }, (res) => measure(res, start));`,
    [url, key],
  );

/** The same file read by a client process from disk (page cache): what "reading it directly" costs a client. */
const readInChildProcess = (path: string) =>
  inChildProcess(
    `const start = performance.now();
     measure(require("node:fs").createReadStream(process.argv[1], { highWaterMark: 1 << 20 }), start);`,
    [path],
  );

/**
 * The transport's own ceiling: node:http in this process piping the blob to the socket with no
 * routing, authentication or lookup, downloaded by the same client.
 */
async function bareHttpServer(blobs: typeof ctx.blobs, digest: string, size: number) {
  const bare = createServer((_, res) => {
    res.writeHead(200, { "content-length": String(size) });
    void blobs.get(digest).then((body) => pipeline(body, res).catch(() => body.destroy()));
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, close: () => bare.close() };
}

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
  await writeSnapshot(file);
  const size = statSync(file).size;
  console.log(
    `bench/download: a KV snapshot of ${(size / 1e9).toFixed(2)} GB (${tokens} tokens × ${LAYERS} layers)\n`,
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
    "application/vnd.safetensors",
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
      error ? reject(error) : resolve(out.trim().split("\n")),
    ),
  );
  // The pipeline's files are flushed to disk first, so the kernel's writeback does not share the rounds.
  await new Promise((resolve) => execFile("sync", resolve));
  const bare = await bareHttpServer(ctx.blobs, copy.digest, copy.size);
  const direct: number[] = [];
  const clientFile: number[] = [];
  const bareHttp: number[] = [];
  const api: number[] = [];
  const apiReads: ClientRead[] = [];
  const checked = (read: ClientRead) => {
    if (read.bytes !== copy.size) throw new Error(`read ${read.bytes} of ${copy.size} bytes`);
    return read;
  };
  for (let r = 0; r < rounds; r++) {
    direct.push((await timeRead(await ctx.blobs.get(copy.digest))).gb_s);
    clientFile.push(checked(await readInChildProcess(blobPath!)).gb_s);
    bareHttp.push(checked(await downloadInChildProcess(bare.url, "")).gb_s);
    const read = checked(
      await downloadInChildProcess(
        `${server.url}/api/v1/vaults/${vault.id}/installs/${install.id}/payload`,
        sub.api_key,
      ),
    );
    api.push(read.gb_s);
    apiReads.push(read);
  }
  bare.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const results = {
    bytes: size,
    tokens,
    upload_gb_s: size / 1e9 / uploadSeconds,
    pipeline_seconds: pipelineSeconds,
    fingerprint_gb_s: size / 1e9 / fingerprintSeconds,
    direct_gb_s: median(direct),
    client_file_gb_s: median(clientFile),
    bare_http_gb_s: median(bareHttp),
    api_gb_s: median(api),
    api_ttfb_ms: median(apiReads.map((r) => r.ttfb_ms)),
    api_ratio: median(api) / median(direct),
    api_ratio_to_client_file: median(api) / median(clientFile),
    api_ratio_to_bare_http: median(api) / median(bareHttp),
    rounds: { direct, client_file: clientFile, bare_http: bareHttp, api },
    peak_rss_mb: peakRss(),
  };
  console.log("step                               figure");
  console.log(`upload (streamed, hashed)          ${results.upload_gb_s.toFixed(3)} GB/s`);
  console.log(`pipeline (ingest→sign)             ${results.pipeline_seconds.toFixed(1)} s`);
  console.log(`fingerprinted copy (install job)   ${results.fingerprint_gb_s.toFixed(3)} GB/s`);
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  console.log(`read from blob store (baseline)    ${results.direct_gb_s.toFixed(3)} GB/s`);
  console.log(`file read by a client process      ${results.client_file_gb_s.toFixed(3)} GB/s`);
  console.log(`bare node:http of the same blob    ${results.bare_http_gb_s.toFixed(3)} GB/s`);
  console.log(
    `download through the API           ${results.api_gb_s.toFixed(3)} GB/s  (${pct(results.api_ratio)} of baseline, ${pct(results.api_ratio_to_client_file)} of a client's file read, ${pct(results.api_ratio_to_bare_http)} of bare node:http; first byte after ${results.api_ttfb_ms.toFixed(0)} ms)`,
  );
  console.log(`peak RSS                           ${results.peak_rss_mb.toFixed(0)} MB`);
  const out = new URL("../results/", import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL("download.json", out), JSON.stringify(results, null, 2));
  writeFileSync(
    new URL("download.svg", out),
    barChartSvg(`payload of ${(size / 1e9).toFixed(2)} GB, median of ${rounds}`, "GB/s", [
      { label: "blob store read", bars: { "GB/s": results.direct_gb_s } },
      { label: "client file read", bars: { "GB/s": results.client_file_gb_s } },
      { label: "bare node:http", bars: { "GB/s": results.bare_http_gb_s } },
      { label: "API download", bars: { "GB/s": results.api_gb_s } },
      { label: "fingerprinting", bars: { "GB/s": results.fingerprint_gb_s } },
    ]),
  );
} finally {
  await server.close();
  await ctx.close();
}

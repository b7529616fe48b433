import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { type CubeType, fileKindOf, isPickleFileName, payloadFormatOf, TAR } from "@memstore/core";
import { LORA_CONFIG_FILE, LORA_WEIGHTS_FILE, tarSize, writeTar } from "@memstore/formats";
import { MemStoreApiError, type MemStoreClient, type Version } from "@memstore/sdk";
import { SingleBar } from "cli-progress";
import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";
import { UsageError } from "../usage-error.ts";

/** A plaintext document (Markdown or text, not JSONL items): what a directory of documents is made of. */
const isDocument = (file: string) => {
  const kind = fileKindOf(file, "plaintext");
  return kind !== null && payloadFormatOf("plaintext", kind.mediaType) !== "jsonl";
};

type Payload = { size: number; contentType: string; type: CubeType; open(): Readable; describe: string };

export function publishCommand(): Command {
  return new Command("publish")
    .description(
      "create what is missing, upload with a progress bar, submit, and wait for ready or the rejection report",
    )
    .argument(
      "<path>",
      "a .jsonl, .md or .txt file or a directory of Markdown/text documents (plaintext); a KV snapshot .safetensors (activation); a PEFT LoRA directory or its .tar (parametric)",
    )
    .requiredOption("--cube <slug>", "the cube's slug (created when missing)")
    .requiredOption("--version <semver>", "the version to publish")
    .option("--title <title>", "title for a new cube")
    .option("--description <text>", "description for a new cube")
    .option("--tags <tags>", "comma-separated tags for a new cube")
    .option("--changelog <text>", "what changed in this version")
    .option(
      "--eval <file>",
      "plaintext: an evaluation set (.jsonl, one { question, expect: { contains } | { section } } per line), measured on the version",
    )
    .option(
      "--max-recall-drop <x>",
      "with --eval: hold the version for your release if its recall@5 falls by more than this (0–1) from the version before",
    )
    .option("--list-free", "after it is ready, list the cube for free in the store and publish the listing")
    .addOption(urlOption())
    .addOption(keyOption())
    .action((path: string, options: PublishOptions) => publish(path, options));
}

/** Creates what is missing, uploads, attaches the evaluation set, submits, waits, and lists when asked. */
async function publish(path: string, options: PublishOptions) {
  const client = clientFrom(options);
  const payload = payloadOf(path);
  const maxRecallDrop = maxRecallDropOf(options);
  const cube = await findOrCreateCube(client, options, payload.type);
  if (cube.type !== payload.type) {
    throw new UsageError(
      `${cube.slug} is a ${cube.type} cube; ${payload.describe} is ${payload.type} memory`,
    );
  }
  await client.createVersion(cube.id, {
    version: options.version,
    ...(options.changelog ? { manifest: { changelog: options.changelog } } : {}),
  });
  console.error(
    `uploading ${payload.describe} (${formatBytes(payload.size)}) to ${cube.slug}@${options.version}`,
  );
  const uploaded = await upload(client, cube.id, options.version, payload);
  console.error(`uploaded ${uploaded.digest}`);
  if (options.eval) await attachEval(client, cube.id, options, maxRecallDrop);
  await client.submitVersion(cube.id, options.version);
  const seen = new Set<string>();
  const final = await client.waitForVersion(cube.id, options.version, {
    onPoll: (v) => reportRuns(v, seen),
  });
  if (final.status === "rejected") {
    const failed = final.runs.find((r) => r.status === "failed");
    console.error(
      `rejected by ${failed?.kind ?? "the pipeline"}:\n${JSON.stringify(failed?.report ?? {}, null, 2)}`,
    );
    process.exitCode = 2;
    return;
  }
  console.error(`${cube.slug}@${options.version} is ready`);
  reportEvaluation(final);
  let listingId: string | null = null;
  if (options.listFree) {
    const listing = await client.createListing({
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
    });
    await client.publishListing(listing.id);
    listingId = listing.id;
    console.error(`listed for free: ${listing.id}`);
  }
  console.log(
    JSON.stringify({
      cube_id: cube.id,
      version: final.version,
      status: final.status,
      digest: final.digest,
      evaluation: final.evaluation,
      held: final.held,
      listing_id: listingId,
    }),
  );
}

type PublishOptions = {
  cube: string;
  version: string;
  title?: string;
  description?: string;
  tags?: string;
  changelog?: string;
  eval?: string;
  maxRecallDrop?: string;
  listFree?: boolean;
  url: string;
  key: string;
};

async function findOrCreateCube(client: MemStoreClient, options: PublishOptions, type: CubeType) {
  for (let cursor: string | undefined; ;) {
    const page = await client.listCubes({ limit: 200, cursor });
    const found = page.items.find((c) => c.slug === options.cube);
    if (found) return found;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return client.createCube({
    slug: options.cube,
    type,
    title: options.title ?? options.cube,
    description: options.description,
    tags: options.tags
      ?.split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  });
}

function payloadOf(path: string): Payload {
  const stat = statSync(path);
  if (stat.isFile()) {
    if (isPickleFileName(path)) throw new UsageError(pickleRefused(path));
    // A KV snapshot is a .safetensors, a LoRA pack already in a tar a .tar, plaintext .jsonl, .md, .txt.
    const kind = fileKindOf(path);
    if (!kind) throw new UsageError(`${path}: use a .jsonl, .md, .txt, .safetensors or .tar file`);
    return {
      size: stat.size,
      contentType: kind.mediaType,
      type: kind.type,
      open: () => createReadStream(path),
      describe: path,
    };
  }
  if (existsSync(join(path, LORA_CONFIG_FILE))) return peftDirectory(path);
  // A directory of documents becomes one Markdown payload, the documents in name order.
  const files = readdirSync(path)
    .filter(isDocument)
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new UsageError(`${path}: no .md or .txt documents in the directory`);
  const separator = Buffer.from("\n\n");
  const size = files.reduce((n, f) => n + statSync(f).size, 0) + separator.length * (files.length - 1);
  async function* concatenated() {
    for (const [i, f] of files.entries()) {
      if (i > 0) yield separator;
      for await (const chunk of createReadStream(f)) yield chunk as Buffer;
    }
  }
  return {
    size,
    contentType: "text/markdown",
    type: "plaintext",
    open: () => Readable.from(concatenated()),
    describe: `${files.length} documents from ${path}`,
  };
}

const pickleRefused = (path: string) =>
  `${path} is a pickle file, which MemStore refuses (loading one runs the code inside it): convert it to safetensors first (safetensors.torch.save_file, or save_pretrained(..., safe_serialization=True))`;

/**
 * A PEFT adapter directory (save_pretrained's output) as the tar the API takes: its
 * adapter_config.json and adapter_model.safetensors, streamed from disk.
 */
function peftDirectory(path: string): Payload {
  const weights = join(path, LORA_WEIGHTS_FILE);
  if (!existsSync(weights)) {
    const pickled = readdirSync(path).find(isPickleFileName);
    throw new UsageError(
      pickled ? pickleRefused(join(path, pickled)) : `${path}: a PEFT directory needs ${LORA_WEIGHTS_FILE}`,
    );
  }
  const files = [LORA_CONFIG_FILE, LORA_WEIGHTS_FILE].map((name) => ({
    name,
    path: join(path, name),
    size: statSync(join(path, name)).size,
  }));
  return {
    size: tarSize(files.map((f) => f.size)),
    contentType: TAR,
    type: "parametric",
    open: () =>
      Readable.from(
        writeTar(files.map((f) => ({ path: f.name, size: f.size, data: createReadStream(f.path) }))),
      ),
    describe: `the LoRA adapter in ${path}`,
  };
}

async function upload(client: MemStoreClient, cubeId: string, version: string, payload: Payload) {
  const bar = new SingleBar({
    format: "upload [{bar}] {percentage}% {value}/{total} bytes",
    noTTYOutput: true,
    notTTYSchedule: 1000,
    stream: process.stderr,
  });
  bar.start(payload.size, 0);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      bar.update(sent);
      done(null, chunk);
    },
  });
  try {
    const body = payload.open().pipe(counter);
    return await client.uploadPayload(
      cubeId,
      version,
      Readable.toWeb(body) as ReadableStream<Uint8Array>,
      payload.contentType,
      payload.size,
    );
  } catch (error) {
    if (error instanceof MemStoreApiError) throw error;
    throw new Error(`upload failed: ${(error as Error).message}`);
  } finally {
    bar.stop();
  }
}

/** `--max-recall-drop`, checked before anything is created (and `--eval`'s file, which it goes with). */
function maxRecallDropOf(options: PublishOptions): number | undefined {
  if (options.eval && !existsSync(options.eval)) throw new UsageError(`${options.eval}: no such file`);
  if (options.maxRecallDrop === undefined) return undefined;
  const drop = Number(options.maxRecallDrop);
  if (!options.eval) throw new UsageError("--max-recall-drop goes with --eval <file>");
  if (!(drop >= 0 && drop <= 1)) {
    throw new UsageError(`--max-recall-drop takes a number from 0 to 1; got ${options.maxRecallDrop}`);
  }
  return drop;
}

/** The evaluation set attached to the draft before it is submitted (checked by the API, line by line). */
async function attachEval(
  client: MemStoreClient,
  cubeId: string,
  options: PublishOptions,
  drop: number | undefined,
) {
  const attached = await client.putEvalSet(
    cubeId,
    options.version,
    readFileSync(options.eval!, "utf8"),
    drop === undefined ? {} : { max_recall_drop: drop },
  );
  console.error(`evaluation set: ${attached.questions} questions`);
}

/** The version's measured quality, and a hold the publisher has to release. */
function reportEvaluation(version: Version) {
  const e = version.evaluation;
  if (e) {
    const before = e.previous ? ` (v${e.previous.version}: recall@5 ${e.previous.recall_at_5})` : "";
    console.error(
      `evaluation: recall@5 ${e.recall_at_5}, MRR@10 ${e.mrr_at_10}, ${e.answered}/${e.questions} answered${before}`,
    );
  }
  if (version.held) {
    console.error(
      `held: ${version.held.reason}. Nothing is announced or offered until you release it (POST …/versions/${version.version}/release).`,
    );
  }
}

function reportRuns(version: Version, seen: Set<string>) {
  for (const run of version.runs) {
    const key = `${run.kind}:${run.status}:${run.attempts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    console.error(`  ${run.kind}: ${run.status}${run.attempts > 1 ? ` (attempt ${run.attempts})` : ""}`);
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

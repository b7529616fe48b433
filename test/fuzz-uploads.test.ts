import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kvSnapshot, loraPack, TINY_CONFIG, TINY_TOKENIZER_SHA256 } from "./support/binary-fixtures.ts";
import { fuzzSeed, mutations } from "./support/fuzz.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Real payloads of every type — Markdown, JSONL memory items, a KV snapshot, a LoRA pack —
 * mutated (bytes flipped, cut short, spliced with NULs and invalid UTF-8, headers lengthened,
 * nested deep) and put through upload, submit and the pipeline. The upload and the submission
 * answer below 500; every version submitted ends ready or rejected with a code, never stuck
 * processing, and no stage is left running.
 */
const SEED = fuzzSeed();
const RUNS = Number(process.env.FUZZ_UPLOAD_RUNS ?? 15);

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
const tally = { uploads: 0, submitted: 0, ready: 0, rejected: new Map<string, number>() };

const MARKDOWN = `# Harbour handbook

## Cranes
Storm cranes are lashed at 40 knots; the bowline makes a fixed loop.

## Weather
A falling barometer announces a depression.
`;
const JSONL = [
  { text: "The crane is rated 40 t.", tags: ["cranes"], metadata: { source: "manual" } },
  { text: "Reef the mainsail early.", tags: ["sailing"] },
]
  .map((item) => JSON.stringify(item))
  .join("\n");

type Seed = {
  type: "plaintext" | "activation" | "parametric";
  contentType: string;
  bytes: Uint8Array<ArrayBuffer>;
};
const seeds: Record<string, Seed> = {};
const bytes = (buffer: Buffer) => new Uint8Array(buffer);

beforeAll(async () => {
  // A stage that fails for another reason than its input exhausts its retries in a second.
  bed = await openHttpTestbed({}, { backoffScale: 0.01 });
  const registered = await bed.api("POST", "/api/v1/base-models", bed.publisherKey, {
    name: "memstore/tiny-llama",
    config: TINY_CONFIG,
    tokenizer_sha256: TINY_TOKENIZER_SHA256,
  });
  expect(registered.status).toBe(201);
  Object.assign(seeds, {
    markdown: { type: "plaintext", contentType: "text/markdown", bytes: bytes(Buffer.from(MARKDOWN)) },
    jsonl: { type: "plaintext", contentType: "application/x-ndjson", bytes: bytes(Buffer.from(JSONL)) },
    snapshot: {
      type: "activation",
      contentType: "application/vnd.safetensors",
      bytes: bytes(await kvSnapshot()),
    },
    pack: { type: "parametric", contentType: "application/x-tar", bytes: bytes(await loraPack()) },
  } satisfies Record<string, Seed>);
});

afterAll(async () => {
  await bed?.close();
  const rejected = [...tally.rejected].map(([code, n]) => `${code}×${n}`).join(" ");
  console.log(
    `upload fuzz (seed ${SEED}): ${tally.uploads} uploads, ${tally.submitted} submitted, ${tally.ready} ready; rejected ${rejected}`,
  );
});

let slugs = 0;

/** Uploads and submits `bytes` as a new cube's 1.0.0; waits for the pipeline; true if all held. */
async function publishMutated(seed: Seed, bytes: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const key = bed.publisherKey;
  const cube = (
    await bed.api("POST", "/api/v1/cubes", key, { slug: `fuzz-${++slugs}`, type: seed.type, title: "Fuzz" })
  ).body;
  await bed.api("POST", `/api/v1/cubes/${cube.id}/versions`, key, { version: "1.0.0" });
  const path = `/api/v1/cubes/${cube.id}/versions/1.0.0`;
  const put = await fetch(`${bed.server.url}${path}/payload`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": seed.contentType },
    body: bytes,
  });
  await put.arrayBuffer();
  tally.uploads++;
  if (put.status >= 500) return false;
  if (put.status !== 200) return (await bed.api("GET", path, key)).body.status === "draft";
  const submit = await bed.api("POST", `${path}/submit`, key);
  if (submit.status >= 500) return false;
  if (submit.status !== 202) return (await bed.api("GET", path, key)).body.status === "draft";
  tally.submitted++;
  await bed.t.runner.idle();
  const version = (await bed.api("GET", path, key)).body;
  if (version.runs.some((r: { status: string }) => r.status === "running")) return false;
  if (version.status === "ready") {
    tally.ready++;
    return true;
  }
  const code = version.runs.find((r: { status: string }) => r.status === "failed")?.report?.error?.code;
  tally.rejected.set(code ?? "(none)", (tally.rejected.get(code ?? "(none)") ?? 0) + 1);
  return version.status === "rejected" && typeof code === "string";
}

describe("mutated payloads end ready or rejected with a code", () => {
  for (const name of ["markdown", "jsonl", "snapshot", "pack"]) {
    it(name, async () => {
      const seed = seeds[name]!;
      await fc.assert(
        fc.asyncProperty(mutations(seed.bytes), (bytes) => publishMutated(seed, bytes)),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    });
  }
});

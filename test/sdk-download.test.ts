import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kvSnapshot } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * The SDK downloads an installed payload to a file, and a download whose connection is cut picks up
 * where it stopped (Range, If-Range) and checks the whole file against the copy's digest.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let sub: Awaited<ReturnType<typeof bed.subscriber>>;
const dir = mkdtempSync(join(tmpdir(), "memstore-sdk-dl-"));

beforeAll(async () => {
  bed = await openHttpTestbed();
  await bed.registerTinyModel();
  const { cube } = await bed.publishedBinary("tide-kv", "activation", await kvSnapshot());
  const listing = await bed.freeListing(cube.id);
  sub = await bed.subscriber("Tide Agents", listing.id);
}, 120_000);

afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fetch whose first full GET of a payload breaks off after `bytes`, as a dropped connection does. */
function cuttingFetch(bytes: number): typeof fetch {
  let cut = false;
  return async (input, init) => {
    const response = await fetch(input, init);
    const ranged = new Headers(init?.headers).has("range");
    if (cut || ranged || init?.method !== "GET" || !response.body) return response;
    cut = true;
    const reader = response.body.getReader();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Erroring drops what is queued: the cut-off bytes go out first, the reset on the next read.
        if (sent >= bytes) return controller.error(new Error("connection reset"));
        const { value, done } = await reader.read();
        if (done) return controller.close();
        const room = bytes - sent;
        if (value.length >= room) {
          controller.enqueue(value.subarray(0, room));
          sent = bytes;
          return reader.cancel();
        }
        sent += value.length;
        controller.enqueue(value);
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

describe("SDK payload downloads", () => {
  it("downloads the organisation's copy to a file, its digest checked", async () => {
    const client = bed.client(sub.key);
    const file = join(dir, "whole.safetensors");
    const progress: number[] = [];
    const result = await client.downloads.payload(sub.vault.id, sub.installId, file, {
      onProgress: (bytes) => progress.push(bytes),
    });
    const bytes = readFileSync(file);
    expect(result).toMatchObject({ size: bytes.length, resumedFrom: 0 });
    expect(result.digest).toBe(`sha256:${createHash("sha256").update(bytes).digest("hex")}`);
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it("resumes a download whose connection was cut, keeping the bytes it had", async () => {
    const file = join(dir, "resumed.safetensors");
    const cutting = new MemStoreClient({
      baseUrl: bed.server.url,
      apiKey: sub.key,
      fetch: cuttingFetch(3000),
    });
    await expect(cutting.downloads.payload(sub.vault.id, sub.installId, file)).rejects.toThrow();
    expect(readFileSync(`${file}.part`).length).toBe(3000);
    expect(existsSync(file)).toBe(false);

    const client = bed.client(sub.key);
    const result = await client.downloads.payload(sub.vault.id, sub.installId, file);
    expect(result.resumedFrom).toBe(3000);
    expect(readFileSync(file).equals(readFileSync(join(dir, "whole.safetensors")))).toBe(true);
    expect(existsSync(`${file}.part`)).toBe(false);
  });
});

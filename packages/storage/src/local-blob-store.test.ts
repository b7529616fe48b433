import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, describe, expect, it } from "vitest";
import { LocalBlobStore } from "./local-blob-store.ts";

const root = mkdtempSync(join(tmpdir(), "memstore-blobs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const store = new LocalBlobStore(root);
const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

describe("LocalBlobStore", () => {
  it("stores by content digest and streams the blob back", async () => {
    const result = await store.put(Readable.from([Buffer.from("hello "), Buffer.from("world")]), {
      maxBytes: 100,
    });
    expect(result).toEqual({ digest: sha("hello world"), size: 11 });
    expect(await text(await store.get(result.digest))).toBe("hello world");
    expect(await store.stat(result.digest)).toEqual({ digest: result.digest, size: 11 });
  });

  it("serves inclusive byte ranges", async () => {
    const { digest } = await store.put(Readable.from([Buffer.from("0123456789")]), { maxBytes: 100 });
    expect(await text(await store.get(digest, { start: 2, end: 5 }))).toBe("2345");
    await expect(store.get(digest, { start: 5, end: 10 })).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("refuses a body over the cap and leaves no temporary file", async () => {
    async function* endless() {
      for (let i = 0; i < 1000; i++) yield Buffer.alloc(1024, 1);
    }
    await expect(store.put(endless(), { maxBytes: 10_000 })).rejects.toMatchObject({
      code: "payload_too_large",
    });
    expect(readdirSync(join(root, "tmp"))).toEqual([]);
  });

  it("refuses a body whose digest differs from the expected one", async () => {
    await expect(
      store.put(Readable.from([Buffer.from("abc")]), { maxBytes: 10, expectedDigest: sha("abd") }),
    ).rejects.toMatchObject({ code: "content_rejected" });
    expect(await store.stat(sha("abc"))).toBeNull();
  });

  it("answers not_found for an unknown digest", async () => {
    await expect(store.get(sha("missing"))).rejects.toMatchObject({ code: "not_found" });
  });
});

import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "./blob-store.ts";
import { createBlobStore } from "./index.ts";
import { LocalBlobStore } from "./local-blob-store.ts";
import { S3BlobStore } from "./s3-blob-store.ts";
import { startS3Server } from "./testing.ts";

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

type Driver = {
  store: BlobStore;
  /** Temporary files or keys a put left behind. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
};

const drivers: Record<string, () => Promise<Driver>> = {
  file: async () => {
    const root = mkdtempSync(join(tmpdir(), "memstore-blobs-"));
    return {
      store: new LocalBlobStore(root),
      leftovers: async () => readdirSync(join(root, "tmp")),
      close: async () => rmSync(root, { recursive: true, force: true }),
    };
  },
  s3: async () => {
    const server = await startS3Server();
    const store = new S3BlobStore(server.location);
    return {
      store,
      leftovers: async () => {
        const listed = await store.client.send(
          new ListObjectsV2Command({
            Bucket: server.location.bucket,
            Prefix: `${server.location.prefix}tmp/`,
          }),
        );
        return (listed.Contents ?? []).map((object) => object.Key!);
      },
      close: () => server.close(),
    };
  },
};

/** The one blob-store suite, run against every driver. */
describe.each(Object.keys(drivers))("the %s blob store", (name) => {
  let driver: Driver;
  let store: BlobStore;
  beforeAll(async () => {
    driver = await drivers[name]!();
    store = driver.store;
  });
  afterAll(() => driver.close());

  it("stores by content digest and streams the blob back", async () => {
    const result = await store.put(Readable.from([Buffer.from("hello "), Buffer.from("world")]), {
      maxBytes: 100,
    });
    expect(result).toEqual({ digest: sha("hello world"), size: 11 });
    expect(await text(await store.get(result.digest))).toBe("hello world");
    expect(await store.stat(result.digest)).toEqual({ digest: result.digest, size: 11 });
    // The same bytes again are the same blob.
    expect(await store.put(Readable.from([Buffer.from("hello world")]), { maxBytes: 100 })).toEqual(result);
    expect(await driver.leftovers()).toEqual([]);
    await store.ping();
  });

  it("stores a body of several upload parts and reports progress", async () => {
    const bytes = randomBytes(19 * 2 ** 20 + 123);
    const seen: number[] = [];
    const result = await store.put(Readable.from([bytes.subarray(0, 7e6), bytes.subarray(7e6)]), {
      maxBytes: bytes.length,
      expectedDigest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
      onProgress: (n) => seen.push(n),
    });
    expect(result.size).toBe(bytes.length);
    expect(seen.at(-1)).toBe(bytes.length);
    const back = Buffer.concat(await (await store.get(result.digest)).toArray());
    expect(back.equals(bytes)).toBe(true);
    const tail = Buffer.concat(
      await (await store.get(result.digest, { start: 8 * 2 ** 20 - 5, end: 8 * 2 ** 20 + 4 })).toArray(),
    );
    expect(tail.equals(bytes.subarray(8 * 2 ** 20 - 5, 8 * 2 ** 20 + 5))).toBe(true);
    await store.delete(result.digest);
    expect(await store.stat(result.digest)).toBeNull();
    expect(await driver.leftovers()).toEqual([]);
  });

  it("serves inclusive byte ranges", async () => {
    const { digest } = await store.put(Readable.from([Buffer.from("0123456789")]), { maxBytes: 100 });
    expect(await text(await store.get(digest, { start: 2, end: 5 }))).toBe("2345");
    await expect(store.get(digest, { start: 5, end: 10 })).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("refuses a body over the cap and leaves nothing behind", async () => {
    async function* endless() {
      for (let i = 0; i < 12_000; i++) yield Buffer.alloc(1024, 1);
    }
    await expect(store.put(endless(), { maxBytes: 10_000_000 })).rejects.toMatchObject({
      code: "payload_too_large",
    });
    expect(await driver.leftovers()).toEqual([]);
  });

  it("refuses a body whose digest differs from the expected one", async () => {
    await expect(
      store.put(Readable.from([Buffer.from("abc")]), { maxBytes: 10, expectedDigest: sha("abd") }),
    ).rejects.toMatchObject({ code: "content_rejected" });
    expect(await store.stat(sha("abc"))).toBeNull();
    expect(await driver.leftovers()).toEqual([]);
  });

  it("answers not_found for an unknown digest and invalid_input for a malformed one", async () => {
    await expect(store.get(sha("missing"))).rejects.toMatchObject({ code: "not_found" });
    await expect(store.sendTo(sha("missing"), process.stdout)).rejects.toMatchObject({ code: "not_found" });
    await expect(store.get("sha256:../../etc/passwd")).rejects.toMatchObject({ code: "invalid_input" });
    await store.delete(sha("missing"));
  });

  describe("sendTo", () => {
    // 9.5 MiB: ten reads through three reused buffers, most of them while the socket is still full.
    const bytes = randomBytes(9.5 * 2 ** 20);
    let digest = "";
    let url = "";
    let sends: Array<Promise<"sent" | "closed">> = [];
    const server = createServer((req, res) => {
      const range = /^(\d+)-(\d+)$/.exec(new URL(req.url!, "http://x").searchParams.get("range") ?? "");
      const [start, end] = range ? [Number(range[1]), Number(range[2])] : [0, bytes.length - 1];
      res.writeHead(200, { "content-length": String(end - start + 1) });
      sends.push(
        store.sendTo(digest, res, range ? { start, end } : undefined).then(() => {
          res.end();
          return res.destroyed ? "closed" : "sent";
        }),
      );
    });

    afterAll(() => server.close());

    it("writes a blob larger than its buffers byte for byte to a socket, also to a slow reader", async () => {
      digest = (await store.put(Readable.from([bytes]), { maxBytes: bytes.length })).digest;
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(whole.equals(bytes)).toBe(true);
      const part = Buffer.from(await (await fetch(`${url}?range=1048570-3145740`)).arrayBuffer());
      expect(part.equals(bytes.subarray(1048570, 3145741))).toBe(true);

      // A reader that pauses keeps every buffer waiting on the socket; nothing is overwritten meanwhile.
      const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
      const chunks: Buffer[] = [];
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        socket.pause();
        setTimeout(() => socket.resume(), 2);
      });
      await new Promise((resolve) => socket.on("end", resolve));
      const response = Buffer.concat(chunks);
      const body = response.subarray(response.indexOf("\r\n\r\n") + 4);
      expect(body.equals(bytes)).toBe(true);
      expect(await Promise.all(sends)).toEqual(["sent", "sent", "sent"]);
    });

    it("stops when the client goes away, without an error", async () => {
      sends = [];
      const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      socket.once("data", () => socket.destroy());
      await expect.poll(() => sends.length).toBe(1);
      expect(await sends[0]).toBe("closed");
    });
  });
});

describe("the S3 driver", () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it("is picked by an s3:// STORAGE_URL, with its endpoint, region and prefix", async () => {
    const server = await startS3Server("picked", "some/prefix");
    servers.push(server);
    const store = await createBlobStore(server.url, server.location.credentials);
    expect(store).toBeInstanceOf(S3BlobStore);
    expect((store as S3BlobStore).location).toMatchObject({
      bucket: "picked",
      prefix: "some/prefix/",
      endpoint: server.location.endpoint,
      forcePathStyle: true,
    });
    const { digest } = await store.put(Readable.from([Buffer.from("in the bucket")]), { maxBytes: 100 });
    const listed = await (store as S3BlobStore).client.send(new ListObjectsV2Command({ Bucket: "picked" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      `some/prefix/sha256/${digest.slice(7, 9)}/${digest.slice(9, 11)}/${digest.slice(7)}`,
    ]);
    await expect(createBlobStore("s3://key:secret@bucket/x")).rejects.toThrow(/S3_ACCESS_KEY_ID/);
    await expect(createBlobStore("gs://bucket/x")).rejects.toThrow(/file:\/\/ or s3:\/\//);
  });

  it("hands out a presigned URL that serves the blob under its file name, straight from the bucket", async () => {
    const server = await startS3Server();
    servers.push(server);
    const store = new S3BlobStore(server.location);
    const { digest } = await store.put(Readable.from([Buffer.from("payload bytes")]), { maxBytes: 100 });
    const url = await store.directUrl(digest, {
      expiresInSeconds: 300,
      filename: "pack v1.tar",
      contentType: "application/x-tar",
    });
    const link = new URL(url);
    expect(link.origin).toBe(server.location.endpoint);
    expect(link.searchParams.get("X-Amz-Expires")).toBe("300");
    expect(link.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="pack_v1.tar"');
    expect(response.headers.get("content-type")).toBe("application/x-tar");
    expect(await response.text()).toBe("payload bytes");
    const ranged = await fetch(url, { headers: { range: "bytes=8-12" } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe("bytes");
  });

  it("reports the store down when the service cannot be reached", async () => {
    const server = await startS3Server();
    const store = new S3BlobStore(server.location);
    await store.ping();
    await server.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

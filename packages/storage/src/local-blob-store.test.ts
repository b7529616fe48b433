import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
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
    await expect(store.sendTo(sha("missing"), process.stdout)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("LocalBlobStore.sendTo", () => {
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

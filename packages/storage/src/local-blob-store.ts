import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { access, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type BlobInfo,
  blobPath,
  type BlobStore,
  type ByteRange,
  checkedSize,
  meteredHash,
  type PutOptions,
  type PutResult,
} from "./blob-store.ts";

/**
 * Blobs on the local filesystem under `<root>/sha256/<aa>/<bb>/<hex>`. Writes go to a temporary file
 * while being hashed and counted, then are renamed into place atomically: a reader never sees half
 * a blob, and a refused upload leaves nothing behind.
 */
const READ_CHUNK_BYTES = 1 << 20;
/** Buffers `sendTo` reads into in turn: one being read while two are on their way to the socket. */
const SEND_BUFFERS = 3;

export class LocalBlobStore implements BlobStore {
  readonly driver = "file";

  constructor(private readonly root: string) {}

  async put(body: Readable | AsyncIterable<Uint8Array>, options: PutOptions): Promise<PutResult> {
    const tmpDir = join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${Date.now()}-${randomBytes(6).toString("hex")}`);
    const meter = meteredHash(options);
    try {
      await pipeline(body, meter.stream, createWriteStream(tmp, { flags: "wx" }));
      const result = meter.finish();
      const target = this.pathOf(result.digest);
      await mkdir(join(target, ".."), { recursive: true });
      await rename(tmp, target);
      return result;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  /** The blob's size, checked to exist and to hold the range. */
  private async checkedSize(digest: string, range?: ByteRange): Promise<number> {
    return checkedSize(await this.stat(digest), digest, range);
  }

  async get(digest: string, range?: ByteRange): Promise<Readable> {
    await this.checkedSize(digest, range);
    // 1 MiB reads: a gigabyte payload is a thousand socket writes, not sixteen thousand.
    return createReadStream(this.pathOf(digest), {
      highWaterMark: READ_CHUNK_BYTES,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  /**
   * A read stream allocates a fresh megabyte for every chunk (and the allocator maps and unmaps it);
   * here three buffers are read into in turn, each reused once the socket has taken it, which
   * sends a warm blob over loopback about 1.5× as fast (bench/download).
   */
  async sendTo(digest: string, destination: Writable, range?: ByteRange): Promise<void> {
    const size = await this.checkedSize(digest, range);
    const end = range ? range.end + 1 : size;
    const file = await open(this.pathOf(digest), "r");
    let closed = false;
    const close = new Promise<void>((resolve) =>
      destination.once("close", () => {
        closed = true;
        resolve();
      }),
    );
    const buffers = Array.from({ length: SEND_BUFFERS }, () => Buffer.allocUnsafeSlow(READ_CHUNK_BYTES));
    const taken: Array<Promise<void>> = [];
    try {
      for (let position = range?.start ?? 0, turn = 0; position < end; turn++) {
        const slot = turn % SEND_BUFFERS;
        await Promise.race([taken[slot], close]);
        if (closed) return;
        const length = Math.min(READ_CHUNK_BYTES, end - position);
        const { bytesRead } = await file.read(buffers[slot]!, 0, length, position);
        if (bytesRead === 0) throw new Error(`blob ${digest} ended at ${position} of ${size} bytes`);
        position += bytesRead;
        const write = new Promise<void>((resolve, reject) =>
          destination.write(buffers[slot]!.subarray(0, bytesRead), (error) =>
            error ? reject(error) : resolve(),
          ),
        );
        // Awaited when the slot comes round again or at the end; handled now, so that a write
        // failing after the destination closed is not an unhandled rejection.
        write.catch(() => {});
        taken[slot] = write;
      }
      await Promise.race([Promise.all(taken), close]);
    } finally {
      await file.close();
    }
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    const path = this.pathOf(digest);
    try {
      const s = await stat(path);
      return { digest, size: s.size };
    } catch {
      return null;
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root);
  }

  /** The file driver has no URL of its own: the app serves its bytes (and signs its own links). */
  async directUrl(): Promise<string | null> {
    return null;
  }

  private pathOf(digest: string): string {
    return join(this.root, ...blobPath(digest).split("/"));
  }
}

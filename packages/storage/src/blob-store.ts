import { createHash } from "node:crypto";
import { type Readable, Transform, type Writable } from "node:stream";
import { AppError } from "@memstore/core";

/**
 * Content-addressed blob storage. Callers see digests (`sha256:<hex>`) and streams only, so the
 * local and the S3 driver stand behind the same interface.
 */
export type PutOptions = {
  /** Refuse (413 `payload_too_large`) once more than this many bytes arrive. */
  maxBytes: number;
  /** When given, a body that hashes differently is refused (422) and not stored. */
  expectedDigest?: string;
  /** Called as bytes arrive, for progress. */
  onProgress?: (bytesSoFar: number) => void;
};

export type PutResult = { digest: string; size: number };
export type ByteRange = { start: number; end: number };
export type BlobInfo = { digest: string; size: number };
/** How a direct download link presents the blob: its file name and media type. */
export type LinkOptions = { expiresInSeconds: number; filename: string; contentType: string };

export interface BlobStore {
  /** Which driver: `file` (a directory) or `s3` (a bucket; see `@memstore/storage/s3`). */
  readonly driver: "file" | "s3";
  put(body: Readable | AsyncIterable<Uint8Array>, options: PutOptions): Promise<PutResult>;
  /** Streams a blob, or the inclusive byte range of it. */
  get(digest: string, range?: ByteRange): Promise<Readable>;
  /**
   * Writes a blob, or the inclusive byte range of it, to a socket or an HTTP response and resolves
   * once all of it has been taken (it does not end the destination). The destination must be done
   * with a chunk when its write callback fires, as sockets are: the store may reuse the chunk's
   * memory after that. Stops early, without error, when the destination closes.
   */
  sendTo(digest: string, destination: Writable, range?: ByteRange): Promise<void>;
  stat(digest: string): Promise<BlobInfo | null>;
  delete(digest: string): Promise<void>;
  ping(): Promise<void>;
  /**
   * A short-lived URL the blob can be fetched from without passing through the app (S3: a
   * presigned GET), or null when the store has none and the app serves the bytes itself.
   */
  directUrl(digest: string, options: LinkOptions): Promise<string | null>;
}

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** `sha256/<aa>/<bb>/<hex>`: where a blob lives, in either driver. */
export function blobPath(digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new AppError("invalid_input", `not a sha256 digest: ${digest}`);
  const hex = digest.slice("sha256:".length);
  return `sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/**
 * The stream a body passes through on its way in: counts it against `maxBytes` (failing with 413
 * `payload_too_large` as soon as it is over), hashes it, reports progress. `finish` checks the
 * digest against the expected one once the body has been stored.
 */
export function meteredHash(options: PutOptions) {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > options.maxBytes) {
        done(new AppError("payload_too_large", `payload exceeds the limit of ${options.maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      options.onProgress?.(size);
      done(null, chunk);
    },
  });
  const finish = (): PutResult => {
    const digest = `sha256:${hash.digest("hex")}`;
    if (options.expectedDigest && options.expectedDigest !== digest) {
      throw new AppError(
        "content_rejected",
        `digest mismatch: expected ${options.expectedDigest}, got ${digest}`,
      );
    }
    return { digest, size };
  };
  return { stream, finish };
}

/** A blob's size, refusing an unknown blob (404) or a range outside it. */
export function checkedSize(info: BlobInfo | null, digest: string, range?: ByteRange): number {
  if (!info) throw new AppError("not_found", `blob ${digest} not found`);
  if (range && (range.start < 0 || range.end < range.start || range.end >= info.size)) {
    throw new AppError("invalid_input", `range ${range.start}-${range.end} outside 0-${info.size - 1}`);
  }
  return info.size;
}

import type { Readable, Writable } from "node:stream";

/**
 * Content-addressed blob storage. Callers see digests (`sha256:<hex>`) and streams only, so an S3
 * driver can stand behind the same interface.
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

export interface BlobStore {
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
}

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { AppError } from "@memstore/core";
import {
  type BlobInfo,
  blobPath,
  type BlobStore,
  type ByteRange,
  checkedSize,
  type LinkOptions,
  meteredHash,
  type PutOptions,
  type PutResult,
} from "./blob-store.ts";

/** Where the blobs live and how to reach the service: parsed from `s3://bucket/prefix?…`. */
export type S3Location = {
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, a local server); unset = AWS. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), as most S3-compatible servers want. */
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

/** Parts of a multipart upload: S3's minimum is 5 MiB; two in flight bound memory at 16 MiB per put. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
/** A single CopyObject moves at most 5 GiB (S3's limit); larger blobs are refused here. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

/**
 * `s3://bucket/prefix?region=…&endpoint=http://host:port&path_style=true`. Credentials are not
 * part of the URL (it is printed in messages); they come from the caller or the AWS SDK's own chain.
 */
export function parseS3Url(url: string, credentials?: S3Location["credentials"]): S3Location {
  const parsed = new URL(url);
  if (parsed.protocol !== "s3:" || !parsed.hostname) {
    throw new AppError("invalid_input", "an S3 storage URL looks like s3://bucket/prefix");
  }
  if (parsed.username || parsed.password) {
    throw new AppError(
      "invalid_input",
      "put S3 credentials in S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, not the URL",
    );
  }
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, "");
  const endpoint = parsed.searchParams.get("endpoint") ?? undefined;
  return {
    bucket: parsed.hostname,
    prefix: path ? `${path}/` : "",
    region: parsed.searchParams.get("region") ?? "us-east-1",
    ...(endpoint !== undefined && { endpoint }),
    forcePathStyle: (parsed.searchParams.get("path_style") ?? (endpoint ? "true" : "false")) === "true",
    ...(credentials && { credentials }),
  };
}

/** How to reach the location's service: for this driver's client and for tus's S3 upload store. */
export function s3ClientConfig(location: S3Location): S3ClientConfig {
  return {
    region: location.region,
    forcePathStyle: location.forcePathStyle,
    ...(location.endpoint && { endpoint: location.endpoint }),
    ...(location.credentials && { credentials: location.credentials }),
    // Checksums only where S3 requires them: S3-compatible servers do not all speak the trailers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}

const isNotFound = (error: unknown) =>
  (error as { name?: string }).name === "NotFound" ||
  (error as { name?: string }).name === "NoSuchKey" ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/**
 * Blobs in an S3 bucket under `<prefix>sha256/<aa>/<bb>/<hex>`. A body is streamed to a temporary
 * key (multipart, a bounded number of parts in memory) while being hashed and counted, then copied
 * into place by the server: a reader never sees half a blob, and a refused upload is removed.
 */
export class S3BlobStore implements BlobStore {
  readonly driver = "s3";
  readonly client: S3Client;

  constructor(readonly location: S3Location) {
    this.client = new S3Client(s3ClientConfig(location));
  }

  async put(body: Readable | AsyncIterable<Uint8Array>, options: PutOptions): Promise<PutResult> {
    const tmp = `${this.location.prefix}tmp/${Date.now()}-${randomBytes(6).toString("hex")}`;
    const meter = meteredHash(options);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: tmp, Body: meter.stream },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    });
    const fed: { refusal: Error | null } = { refusal: null };
    const feeding = pipeline(body, meter.stream).catch((error: unknown) => {
      fed.refusal =
        error instanceof Error ? error : new Error("the body could not be read", { cause: error });
    });
    try {
      await Promise.all([upload.done(), feeding]);
      if (fed.refusal) throw fed.refusal;
      const result = meter.finish();
      if (result.size > MAX_COPY_BYTES) {
        throw new AppError(
          "payload_too_large",
          `the S3 driver stores blobs of up to ${MAX_COPY_BYTES} bytes`,
        );
      }
      const key = this.keyOf(result.digest);
      if (!(await this.stat(result.digest))) {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.location.bucket,
            Key: key,
            CopySource: `${this.location.bucket}/${encodeURIComponent(tmp).replace(/%2F/g, "/")}`,
          }),
        );
      }
      return result;
    } catch (error) {
      meter.stream.destroy();
      // The meter's refusal (too large) is the reason, not the aborted upload it caused.
      throw fed.refusal ?? error;
    } finally {
      await this.deleteKey(tmp).catch(() => {});
    }
  }

  async get(digest: string, range?: ByteRange): Promise<Readable> {
    checkedSize(await this.stat(digest), digest, range);
    const object = await this.client.send(
      new GetObjectCommand({
        Bucket: this.location.bucket,
        Key: this.keyOf(digest),
        ...(range && { Range: `bytes=${range.start}-${range.end}` }),
      }),
    );
    return object.Body as Readable;
  }

  /** Streams the object's body to the destination, waiting on it when it is full. */
  async sendTo(digest: string, destination: Writable, range?: ByteRange): Promise<void> {
    const source = await this.get(digest, range);
    const closed = once(destination, "close").then(() => "closed" as const);
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (destination.destroyed) return;
        if (!destination.write(chunk)) {
          const drained = once(destination, "drain").then(() => "drained" as const);
          if ((await Promise.race([drained, closed])) === "closed") return;
        }
      }
    } finally {
      source.destroy();
    }
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.keyOf(digest) }),
      );
      return { digest, size: Number(head.ContentLength ?? 0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(digest: string): Promise<void> {
    await this.deleteKey(this.keyOf(digest));
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
  }

  /** A presigned GET that names the file and its type, so the bytes go straight from the bucket. */
  async directUrl(digest: string, options: LinkOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.location.bucket,
      Key: this.keyOf(digest),
      ResponseContentDisposition: `attachment; filename="${options.filename.replace(/[^\w.@-]/g, "_")}"`,
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds });
  }

  private async deleteKey(key: string) {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key }));
  }

  private keyOf(digest: string): string {
    return `${this.location.prefix}${blobPath(digest)}`;
  }
}

import { fileURLToPath } from "node:url";
import { AppError } from "@memstore/core";
import type { BlobStore } from "./blob-store.ts";
import { LocalBlobStore } from "./local-blob-store.ts";
import { parseS3Url, S3BlobStore, type S3Location } from "./s3-blob-store.ts";

export * from "./blob-store.ts";
export { LocalBlobStore } from "./local-blob-store.ts";
export { parseS3Url, S3BlobStore, s3ClientConfig, type S3Location } from "./s3-blob-store.ts";

/** Picks the driver from `STORAGE_URL`: `file://…` or `s3://bucket/prefix?…`. */
export function createBlobStore(url: string, s3Credentials?: S3Location["credentials"]): BlobStore {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return new LocalBlobStore(fileURLToPath(parsed));
  if (parsed.protocol === "s3:") return new S3BlobStore(parseS3Url(url, s3Credentials));
  throw new AppError(
    "invalid_input",
    `STORAGE_URL scheme '${parsed.protocol}' is not supported (use file:// or s3://)`,
  );
}

import { fileURLToPath } from "node:url";
import { AppError } from "@memstore/core";
import type { BlobStore } from "./blob-store.ts";
import { LocalBlobStore } from "./local-blob-store.ts";
import type { S3Location } from "./s3-blob-store.ts";

export * from "./blob-store.ts";
export { LocalBlobStore } from "./local-blob-store.ts";
export type { S3Location } from "./s3-blob-store.ts";

/**
 * Picks the driver from `STORAGE_URL`: `file://…` or `s3://bucket/prefix?…`. The S3 driver (and
 * the AWS SDK under it) is loaded only when the URL asks for it.
 */
export async function createBlobStore(
  url: string,
  s3Credentials?: S3Location["credentials"],
): Promise<BlobStore> {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return new LocalBlobStore(fileURLToPath(parsed));
  if (parsed.protocol === "s3:") {
    const { parseS3Url, S3BlobStore } = await import("./s3-blob-store.ts");
    return new S3BlobStore(parseS3Url(url, s3Credentials));
  }
  throw new AppError(
    "invalid_input",
    `STORAGE_URL scheme '${parsed.protocol}' is not supported (use file:// or s3://)`,
  );
}

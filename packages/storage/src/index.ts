import { fileURLToPath } from "node:url";
import { AppError } from "@memstore/core";
import type { BlobStore } from "./blob-store.ts";
import { LocalBlobStore } from "./local-blob-store.ts";

export * from "./blob-store.ts";
export { LocalBlobStore } from "./local-blob-store.ts";

/** Picks the driver from `STORAGE_URL`. Only `file://` is built so far. */
export function createBlobStore(url: string): BlobStore {
  const parsed = new URL(url);
  if (parsed.protocol === "file:") return new LocalBlobStore(fileURLToPath(parsed));
  throw new AppError(
    "invalid_input",
    `STORAGE_URL scheme '${parsed.protocol}' is not supported (use file://)`,
  );
}

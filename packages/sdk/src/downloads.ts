import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { enc, qs } from "./http.ts";

type Raw = (method: string, path: string, init?: RequestInit) => Promise<Response>;

export type DownloadResult = {
  file: string;
  size: number;
  /** The copy's `sha256:` digest, checked against the server's ETag for it. */
  digest: string;
  /** Bytes a previous, cut-off download had already written and this one kept. */
  resumedFrom: number;
};

/**
 * Downloads an installed binary payload — the organisation's fingerprinted copy — to a file,
 * streamed (memory stays flat), resuming a cut-off download: the bytes already in `<file>.part` are
 * kept and only the rest is asked for (`Range`, with `If-Range` naming the copy so a changed copy
 * starts over). When complete, the file's SHA-256 is checked against the copy's digest (its ETag)
 * before `<file>.part` becomes `<file>`. Every copy is unique to its organisation, so the digest to
 * check is the copy's, not the original's in the signed manifest.
 */
async function downloadPayload(
  raw: Raw,
  vaultId: string,
  installId: string,
  file: string,
  options: {
    dtype?: "f16" | "bf16" | "int8";
    onProgress?: (bytes: number, total: number | null) => void;
  } = {},
): Promise<DownloadResult> {
  const part = `${file}.part`;
  // The copy a partial file belongs to, kept beside it: a resume asks for the rest of that copy only.
  const tag = `${file}.part.etag`;
  const path = `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}/payload${qs({ dtype: options.dtype })}`;
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const known = have > 0 ? await readFile(tag, "utf8").catch(() => null) : null;
  const resuming = known !== null;
  const response = await raw(
    "GET",
    path,
    resuming ? { headers: { range: `bytes=${have}-`, "if-range": known } } : {},
  );
  const etag = response.headers.get("etag");
  const range = /\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
  const total = range ? Number(range[1]) : Number(response.headers.get("content-length") ?? Number.NaN);
  if (etag) await writeFile(tag, etag);
  const appending = resuming && response.status === 206;
  const out = createWriteStream(part, { flags: appending ? "a" : "w" });
  let written = appending ? have : 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
      written += chunk.length;
      options.onProgress?.(written, Number.isNaN(total) ? null : total);
    }
  } finally {
    out.end();
    await finished(out);
  }
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
  const digest = `sha256:${hash.digest("hex")}`;
  if (etag && `"${digest.slice("sha256:".length)}"` !== etag) {
    await rm(part, { force: true });
    await rm(tag, { force: true });
    throw new Error(
      `the downloaded copy's digest ${digest} is not the server's ${etag}; the partial file was removed`,
    );
  }
  await rename(part, file);
  await rm(tag, { force: true });
  return { file, size: written, digest, resumedFrom: appending ? have : 0 };
}

/** A five-minute link to a copy, counted as its download when made; fetched without a key. */
export type DownloadLink = {
  url: string;
  expires_at: string;
  digest: string;
  size: number;
  filename: string;
  /** `storage`: straight from the blob store (S3 presigned); `app`: served by the API. */
  served_by: "storage" | "app";
};

/** `client.downloads`: installed binary payloads to files, or links to hand to another process. */
export class DownloadsApi {
  constructor(private readonly raw: Raw) {}

  /** A short-lived URL to the organisation's copy (`POST …/installs/{install_id}/payload-link`). */
  async link(vaultId: string, installId: string, options: { dtype?: "f16" | "bf16" | "int8" } = {}) {
    const response = await this.raw(
      "POST",
      `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}/payload-link`,
      { headers: { "content-type": "application/json" }, body: JSON.stringify(options) },
    );
    return (await response.json()) as DownloadLink;
  }

  payload(vaultId: string, installId: string, file: string, options?: Parameters<typeof downloadPayload>[4]) {
    return downloadPayload(this.raw, vaultId, installId, file, options);
  }
}

import type { CopyVariant, Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { installedCopy } from "./installed-copy.ts";
import { LINK_TTL_S, signedLink } from "./signed-links.ts";

/**
 * Short-lived download links to an installed binary payload, so the bytes need not pass through
 * the API: with the S3 driver a presigned GET on the bucket, with the file driver an HMAC-signed
 * URL the app serves without a key (see signed-links.ts). Everything a download is judged on — the entitlement, the
 * licensed purposes, the daily call limit, metering, the organisation's fingerprinted copy — is
 * applied when the link is made; the link then names that one copy for five minutes.
 */

export type DownloadLink = {
  url: string;
  expires_at: string;
  digest: string;
  size: number;
  filename: string;
  /** `storage`: fetched from the blob store itself; `app`: served by the API from a signed URL. */
  served_by: "storage" | "app";
};

export async function payloadDownloadLink(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  variant: CopyVariant | undefined,
  origin: string,
): Promise<DownloadLink> {
  const copy = await installedCopy(ctx, subject, vaultId, installId, variant);
  const direct = await ctx.blobs.directUrl(copy.digest, {
    expiresInSeconds: LINK_TTL_S,
    filename: copy.filename,
    contentType: copy.contentType,
  });
  const { digest, size, contentType, filename } = copy;
  const link = direct
    ? { url: direct, expires_at: new Date((Math.floor(Date.now() / 1000) + LINK_TTL_S) * 1000).toISOString() }
    : signedLink(ctx, { kind: "copy", digest, size, contentType, filename }, origin);
  return {
    ...link,
    digest: copy.digest,
    size: copy.size,
    filename: copy.filename,
    served_by: direct ? "storage" : "app",
  };
}

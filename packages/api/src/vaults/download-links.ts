import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { AppError, type CopyVariant, type Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { installedCopy } from "./installed-copy.ts";

/**
 * Short-lived download links to an installed binary payload, so the bytes need not pass through
 * the API: with the S3 driver a presigned GET on the bucket, with the file driver an HMAC-signed
 * URL the app serves without a key. Everything a download is judged on — the entitlement, the
 * licensed purposes, the daily call limit, metering, the organisation's fingerprinted copy — is
 * applied when the link is made; the link then names that one copy for five minutes.
 */
export const DOWNLOAD_LINK_TTL_S = 300;

export type DownloadLink = {
  url: string;
  expires_at: string;
  digest: string;
  size: number;
  filename: string;
  /** `storage`: fetched from the blob store itself; `app`: served by the API from a signed URL. */
  served_by: "storage" | "app";
};

type BlobClaims = { d: string; s: number; t: string; f: string; exp: number };

const linkKey = (ctx: AppContext) =>
  Buffer.from(hkdfSync("sha256", ctx.keys.secret, "memstore", "blob-download-links", 32));

const sign = (ctx: AppContext, body: string) => createHmac("sha256", linkKey(ctx)).update(body).digest();

export async function payloadDownloadLink(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  variant: CopyVariant | undefined,
  origin: string,
): Promise<DownloadLink> {
  const copy = await installedCopy(ctx, subject, vaultId, installId, variant);
  const exp = Math.floor(Date.now() / 1000) + DOWNLOAD_LINK_TTL_S;
  const direct = await ctx.blobs.directUrl(copy.digest, {
    expiresInSeconds: DOWNLOAD_LINK_TTL_S,
    filename: copy.filename,
    contentType: copy.contentType,
  });
  let url = direct;
  if (!url) {
    const claims: BlobClaims = { d: copy.digest, s: copy.size, t: copy.contentType, f: copy.filename, exp };
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    url = `${origin}/api/v1/blob-links/${body}.${sign(ctx, body).toString("base64url")}`;
  }
  return {
    url,
    expires_at: new Date(exp * 1000).toISOString(),
    digest: copy.digest,
    size: copy.size,
    filename: copy.filename,
    served_by: direct ? "storage" : "app",
  };
}

/** Longer than any link this module makes (its claims are a digest, a size, a type and a name). */
const MAX_TOKEN_CHARS = 2048;

/** The blob an app-served link names: or 404 (not a link of ours), 410 (expired). */
export function redeemBlobLink(ctx: AppContext, token: string) {
  if (token.length > MAX_TOKEN_CHARS) throw new AppError("not_found", "no such download link");
  const [body = "", signature = ""] = token.split(".");
  const given = Buffer.from(signature, "base64url");
  const expected = sign(ctx, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError("not_found", "no such download link");
  }
  const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as BlobClaims;
  if (claims.exp < Date.now() / 1000) {
    throw new AppError("link_expired", "this download link has expired; ask for a new one");
  }
  return { digest: claims.d, size: claims.s, contentType: claims.t, filename: claims.f };
}

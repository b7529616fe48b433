import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { AppError, type CopyVariant, type Scope, type Subject } from "@memstore/core";
import { subjectStillValid } from "../identity/api-keys.ts";
import type { AppContext } from "../kernel/context.ts";

/**
 * MemStore's one kind of signed link: a short-lived URL, good for five minutes, that downloads an
 * installed payload without a key. Its claims travel in the URL, signed with a key derived from the
 * platform secret (HMAC-SHA256), and one route redeems every link (`GET /api/v1/blob-links/{token}`;
 * `/api/v1/payload-links/{token}` answers the same, for links made before). A link names either
 * - a `copy` already judged, counted and metered when it was made (REST's payload-link, with the
 *   file driver: the organisation's fingerprinted copy, by digest), or
 * - a `key`'s download, judged when it is used (MCP's get_payload_link): the download runs as the
 *   key it was made for, so it is counted then and refused once the key is revoked.
 */
export const LINK_TTL_S = 300;
/** Longer than any link this module makes. */
const MAX_TOKEN_CHARS = 2048;
export const LINK_PATH = "/api/v1/blob-links/";

export type CopyClaims = { digest: string; size: number; contentType: string; filename: string };
export type KeyClaims = {
  key: string;
  org: string;
  scopes: Scope[];
  bound: string | null;
  purposes: string[];
  vault: string;
  install: string;
  dtype: CopyVariant | null;
};
type Claims = ({ kind: "copy" } & CopyClaims) | ({ kind: "key" } & KeyClaims);

/** What a redeemed link stands for. */
export type Redeemed =
  | { kind: "copy"; copy: CopyClaims }
  | { kind: "key"; subject: Subject; vaultId: string; installId: string; dtype: CopyVariant | null };

const linkKey = (ctx: AppContext) =>
  Buffer.from(hkdfSync("sha256", ctx.keys.secret, "memstore", "signed-links", 32));
const sign = (ctx: AppContext, body: string) => createHmac("sha256", linkKey(ctx)).update(body).digest();

/** A link to `claims` for five minutes: its URL under `origin`, and when it expires. */
export function signedLink(ctx: AppContext, claims: Claims, origin: string) {
  const exp = Math.floor(Date.now() / 1000) + LINK_TTL_S;
  const body = Buffer.from(JSON.stringify({ ...claims, exp })).toString("base64url");
  return {
    url: `${origin}${LINK_PATH}${body}.${sign(ctx, body).toString("base64url")}`,
    expires_at: new Date(exp * 1000).toISOString(),
  };
}

/** What a link stands for: or 404 (not a link of ours), 410 (expired), 401 (its key revoked). */
export async function redeemLink(ctx: AppContext, token: string): Promise<Redeemed> {
  const claims = verified(ctx, token);
  if (claims.exp < Date.now() / 1000) {
    throw new AppError("link_expired", "this link has expired; ask for a new one");
  }
  if (claims.kind === "copy") {
    const { digest, size, contentType, filename } = claims;
    return { kind: "copy", copy: { digest, size, contentType, filename } };
  }
  const subject: Subject = {
    kind: "api_key",
    keyId: claims.key,
    orgId: claims.org,
    scopes: claims.scopes,
    vaultId: claims.bound,
    expiresAt: null,
    purposes: claims.purposes,
  };
  if (!(await subjectStillValid(ctx, subject)))
    throw new AppError("unauthenticated", "the key this link was made for is revoked or expired");
  return { kind: "key", subject, vaultId: claims.vault, installId: claims.install, dtype: claims.dtype };
}

function verified(ctx: AppContext, token: string): Claims & { exp: number } {
  const none = () => new AppError("not_found", "no such link");
  if (token.length > MAX_TOKEN_CHARS) throw none();
  const [body = "", signature = ""] = token.split(".");
  const given = Buffer.from(signature, "base64url");
  const expected = sign(ctx, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw none();
  // Signed by this platform, so its claims are what signedLink wrote.
  return JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Claims & { exp: number };
}

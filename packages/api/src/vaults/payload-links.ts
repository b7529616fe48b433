import { AppError, type Scope, type Subject } from "@memstore/core";
import { cubes, installs } from "@memstore/db";
import { canonicalJson, signManifest, verifyManifest } from "@memstore/watermark/signing";
import { and, eq, isNull } from "drizzle-orm";
import { subjectStillValid } from "../identity/api-keys.ts";
import type { AppContext } from "../kernel/context.ts";

/**
 * Short-lived signed links to an installed binary payload, for agents that hand a download to
 * another process (MCP's `get_payload_link`). The link carries the key it was made for, signed by
 * the platform (ed25519) and valid five minutes; using it is a download by that key — judged, counted
 * and fingerprinted as one — and refused once the key is revoked.
 */
const LINK_TTL_S = 300;

type Claims = {
  key: string;
  org: string;
  scopes: Scope[];
  bound: string | null;
  purposes: string[];
  vault: string;
  install: string;
  dtype: string | null;
  exp: number;
};

export async function payloadLink(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  dtype: string | undefined,
  origin: string,
) {
  if (subject.kind !== "api_key") throw new AppError("forbidden", "payload links are made for API keys");
  if (!subject.scopes.includes("vault:read"))
    throw new AppError("forbidden", "the key needs the vault:read scope");
  if (subject.vaultId && subject.vaultId !== vaultId) throw new AppError("not_found", "not found");
  const [install] = await ctx.db
    .select({ id: installs.id, type: cubes.type })
    .from(installs)
    .innerJoin(cubes, eq(cubes.id, installs.cubeId))
    .where(
      and(
        eq(installs.id, installId),
        eq(installs.vaultId, vaultId),
        eq(installs.orgId, subject.orgId),
        isNull(installs.uninstalledAt),
      ),
    );
  if (!install) throw new AppError("not_found", "no such install in this vault");
  if (install.type === "plaintext")
    throw new AppError("conflict", "a plaintext install has no binary payload: read it with search_memory");
  const exp = Math.floor(Date.now() / 1000) + LINK_TTL_S;
  const claims: Claims = {
    key: subject.keyId,
    org: subject.orgId,
    scopes: [...subject.scopes],
    bound: subject.vaultId,
    purposes: [...subject.purposes],
    vault: vaultId,
    install: installId,
    dtype: dtype ?? null,
    exp,
  };
  const token = `${Buffer.from(canonicalJson(claims)).toString("base64url")}.${signManifest(claims, ctx.keys.signingKey)}`;
  return {
    url: `${origin}/api/v1/payload-links/${token}`,
    expires_at: new Date(exp * 1000).toISOString(),
  };
}

/** The download a link stands for, as its key: or 404 (not one of ours), 410 (expired), 401 (key revoked). */
export async function redeemPayloadLink(ctx: AppContext, token: string) {
  const [body, signature] = token.split(".");
  let claims: Claims | null = null;
  try {
    claims = JSON.parse(Buffer.from(body ?? "", "base64url").toString("utf8")) as Claims;
  } catch {
    claims = null;
  }
  if (!claims || !signature || !verifyManifest(claims, signature, ctx.keys.publicKey))
    throw new AppError("not_found", "no such payload link");
  if (claims.exp < Date.now() / 1000)
    throw new AppError("link_expired", "this payload link has expired; ask for a new one (get_payload_link)");
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
  return { subject, vaultId: claims.vault, installId: claims.install, dtype: claims.dtype };
}

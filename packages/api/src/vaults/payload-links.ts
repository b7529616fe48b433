import { AppError, type CopyVariant, type Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { liveInstallWithType } from "./queries.ts";
import { signedLink } from "./signed-links.ts";

/**
 * A short-lived signed link to an installed binary payload, for agents that hand a download to
 * another process (MCP's `get_payload_link`): it carries the key it was made for (signed-links.ts),
 * and using it is a download by that key — judged, counted and fingerprinted as one — refused once
 * the key is revoked.
 */
export async function payloadLink(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  dtype: CopyVariant | undefined,
  origin: string,
) {
  if (subject.kind !== "api_key") throw new AppError("forbidden", "payload links are made for API keys");
  if (!subject.scopes.includes("vault:read"))
    throw new AppError("forbidden", "the key needs the vault:read scope");
  if (subject.vaultId && subject.vaultId !== vaultId) throw new AppError("not_found", "not found");
  const install = await liveInstallWithType(ctx.db, { orgId: subject.orgId, vaultId, installId });
  if (!install) throw new AppError("not_found", "no such install in this vault");
  if (install.type === "plaintext")
    throw new AppError("conflict", "a plaintext install has no binary payload: read it with search_memory");
  return signedLink(
    ctx,
    {
      kind: "key",
      key: subject.keyId,
      org: subject.orgId,
      scopes: [...subject.scopes],
      bound: subject.vaultId,
      purposes: [...subject.purposes],
      vault: vaultId,
      install: installId,
      dtype: dtype ?? null,
    },
    origin,
  );
}

import {
  AppError,
  callPurposes,
  type CopyVariant,
  CUBE_TYPE_DEFINITIONS,
  purposeLicensed,
  type Subject,
} from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { authorize, loadAuthorized, vaultOf } from "../kernel/authorize.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { versionById } from "../catalog/queries.ts";
import { termsHeld } from "../listings/queries.ts";
import { liveInstall } from "./queries.ts";
import { claimLicensedCall, licensedListingsOfInstall } from "../usage/license-rate.ts";
import { meter } from "../usage/meter.ts";
import { fingerprintedCopy } from "../watermarking/fingerprinted-copies.ts";
import { loadOwnVault } from "./vaults.ts";
import { copyQuery } from "./schemas.ts";

export { copyQuery };

/**
 * The installed binary payload an agent downloads: its organisation's fingerprinted copy (written
 * now if the fingerprint job has not yet), while the entitlement holds; `variant` asks for it in
 * another dtype its type offers. Returns what the route needs to stream it: the blob, its size,
 * type and a file name.
 */
export async function installedCopy(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  variant?: CopyVariant,
) {
  const vault = await loadOwnVault(ctx.db, subject, "payload.download", vaultId);
  const install = await loadAuthorized(
    subject,
    "payload.download",
    "install",
    () => liveInstall(ctx.db, { vaultId: vault.id, installId }),
    vaultOf,
  );
  const entitlement = await latestEntitlement(ctx.db, { orgId: subject.orgId, listingId: install.listingId });
  authorize(subject, "payload.download", vaultOf(install), { entitlement });
  const terms = await termsHeld(ctx.db, {
    listingId: install.listingId,
    offerId: entitlement?.offerId ?? null,
  });
  if (!purposeLicensed(terms.purposes, callPurposes(subject))) {
    throw new AppError(
      "purpose_not_licensed",
      `this listing's terms license the purposes '${terms.purposes!.join("', '")}'; state one with the MemStore-Purpose header or a key made for it`,
    );
  }
  const version = await versionById(ctx.db, { versionId: install.versionId });
  const type = version!.manifest.type;
  if (type === "plaintext") {
    throw new AppError(
      "conflict",
      "a plaintext cube has no binary payload: its memory is served by POST /api/v1/vaults/{vault_id}/search",
    );
  }
  const offered: readonly CopyVariant[] = CUBE_TYPE_DEFINITIONS[type].variants;
  if (variant && !offered.includes(variant)) {
    throw new AppError(
      "invalid_input",
      `a ${type === "activation" ? "KV snapshot" : "LoRA pack"} is offered in its own dtype or as ${offered.join(" or ")}, not ${variant}`,
      { errors: [{ path: "dtype", message: `offered: ${offered.join(", ")}` }] },
    );
  }
  // A download is a call like a search: claimed against the listing's daily limit, and metered.
  const now = new Date();
  const licensed = await licensedListingsOfInstall(ctx.db, { installId: install.id });
  await claimLicensedCall(ctx.db, subject.orgId, licensed, now, (tx) =>
    meter(tx, subject, [{ installId: install.id }], now),
  );
  const copy = await fingerprintedCopy(ctx, version!, subject.orgId, variant);
  await meter(ctx.db, subject, [{ installId: install.id, calls: 0, bytes: copy.size }], now);
  const manifest = version!.manifest;
  const extension = `${variant ? `${variant}.` : ""}${type === "activation" ? "safetensors" : "tar"}`;
  return {
    digest: copy.digest,
    size: copy.size,
    contentType: copy.contentType ?? "application/octet-stream",
    filename: `${manifest.cube}-${manifest.version}.${extension}`,
  };
}

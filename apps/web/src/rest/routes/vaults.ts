import {
  createVault,
  createVaultInput,
  installedPayload,
  installInput,
  installListing,
  listInstalls,
  listVaults,
  pageQuery,
  uninstall,
  updateVault,
  updateVaultInput,
} from "@memstore/api";
import { blobResponse } from "../download.ts";
import { route } from "../route.ts";

export const vaultRoutes = [
  route({
    method: "POST",
    path: "/api/v1/vaults",
    summary: "Create a vault",
    tag: "vaults",
    scope: "subscribe",
    body: createVaultInput,
    status: 201,
    handler: ({ ctx, subject, body }) => createVault(ctx, subject, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/vaults",
    summary: "List the organisation's vaults",
    tag: "vaults",
    scope: "subscribe",
    query: pageQuery,
    handler: ({ ctx, subject, query }) => listVaults(ctx, subject, query),
  }),
  route({
    method: "PATCH",
    path: "/api/v1/vaults/{vault_id}",
    summary: "Rename a vault or set how memories written to it are desensitised",
    tag: "vaults",
    scope: "subscribe",
    body: updateVaultInput,
    handler: ({ ctx, subject, params, body }) => updateVault(ctx, subject, params.vault_id!, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/vaults/{vault_id}/installs",
    summary: "Install a listing into a vault (402 without an entitlement)",
    tag: "vaults",
    scope: "subscribe",
    body: installInput,
    status: 201,
    handler: ({ ctx, subject, params, body }) => installListing(ctx, subject, params.vault_id!, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/vaults/{vault_id}/installs",
    summary: "List a vault's installs (also to agents' keys bound to it, which download binary payloads)",
    tag: "vaults",
    scope: "subscribe|vault:read",
    query: pageQuery,
    handler: ({ ctx, subject, params, query }) => listInstalls(ctx, subject, params.vault_id!, query),
  }),
  route({
    method: "DELETE",
    path: "/api/v1/vaults/{vault_id}/installs/{install_id}",
    summary: "Uninstall",
    tag: "vaults",
    scope: "subscribe",
    status: 204,
    handler: ({ ctx, subject, params }) => uninstall(ctx, subject, params.vault_id!, params.install_id!),
  }),
  route({
    method: "GET",
    path: "/api/v1/vaults/{vault_id}/installs/{install_id}/payload",
    summary:
      "Download the organisation's fingerprinted copy of an installed LoRA pack or KV snapshot (Range → 206, ETag, Content-Length)",
    tag: "agents",
    scope: "vault:read",
    handler: async ({ ctx, subject, params, request }) =>
      blobResponse(ctx, request, await installedPayload(ctx, subject, params.vault_id!, params.install_id!)),
  }),
];

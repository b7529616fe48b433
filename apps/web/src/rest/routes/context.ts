import {
  contextFeedbackInput,
  contextInput,
  listingSectionUse,
  recordContextFeedback,
  sectionUseQuery,
  vaultContext,
} from "@memstore/api/context";
import { route } from "../route.ts";

/** Context for agents: a block to paste, modules that fit, and which passages they used. */
export const contextRoutes = [
  route({
    method: "POST",
    path: "/api/v1/vaults/{vault_id}/context",
    summary:
      "The vault's best passages for a query as one block within max_tokens (o200k_base or cl100k_base), near-duplicates dropped, diverse, grouped by source, each with its citation mark; and the installed KV snapshots and LoRA packs that fit the query, with download links. One agent call; terms, purposes and share caps apply as for search",
    tag: "agents",
    scope: "vault:read",
    body: contextInput,
    status: 200,
    handler: ({ ctx, subject, params, body, request }) =>
      vaultContext(ctx, subject, params.vault_id, body, new URL(request.url).origin),
  }),
  route({
    method: "POST",
    path: "/api/v1/vaults/{vault_id}/context/{context_id}/feedback",
    summary:
      "Which passages of a context the agent used ([n] marks) and whether it helped: once per context (409 feedback_given after), for a week; feeds the vault's heat and publishers' section counts (never the query)",
    tag: "agents",
    scope: "vault:read",
    body: contextFeedbackInput,
    status: 204,
    handler: ({ ctx, subject, params, body }) =>
      recordContextFeedback(ctx, subject, { vaultId: params.vault_id, contextId: params.context_id }, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/listings/{listing_id}/sections",
    summary:
      "Publisher: which sections of the listing buyers' agents used in contexts, most used first, with how many of those contexts helped; summed over every buyer",
    tag: "publishing",
    scope: "publish",
    query: sectionUseQuery,
    status: 200,
    handler: ({ ctx, subject, params, query }) => listingSectionUse(ctx, subject, params.listing_id, query),
  }),
];

import { pageQuery } from "@memstore/api";
import { createApiKey, createApiKeyInput, listApiKeys, revokeApiKey } from "@memstore/api/identity";
import { NO_STORE, route } from "../route.ts";

export const keyRoutes = [
  route({
    method: "POST",
    path: "/api/v1/keys",
    summary: "Create an API key (the secret is returned only here)",
    tag: "keys",
    scope: "admin",
    body: createApiKeyInput,
    status: 201,
    headers: NO_STORE,
    handler: ({ ctx, subject, body }) => createApiKey(ctx, subject, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/keys",
    summary: "List the organisation's API keys",
    tag: "keys",
    scope: "admin",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listApiKeys(ctx, subject, query),
  }),
  route({
    method: "DELETE",
    path: "/api/v1/keys/{key_id}",
    summary: "Revoke an API key at once",
    tag: "keys",
    scope: "admin",
    status: 204,
    handler: ({ ctx, subject, params }) => revokeApiKey(ctx, subject, params.key_id),
  }),
];

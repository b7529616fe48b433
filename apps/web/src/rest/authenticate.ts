import { type AppContext } from "@memstore/api";
import { authenticateApiKey } from "@memstore/api/identity";

/** The caller of an API request, from its `Authorization: Bearer msk_…` key (401 without a valid one). */
export function authenticateRequest(ctx: AppContext, request: Request) {
  return authenticateApiKey(ctx, request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? null);
}

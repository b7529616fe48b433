import type { AppContext } from "@memstore/api";
import { buildOpenApi } from "./openapi.ts";
import { problem, problemFrom } from "./problem.ts";
import type { Route } from "./route.ts";
import { commerceRoutes } from "./routes/commerce.ts";
import { contextRoutes } from "./routes/context.ts";
import { keyRoutes } from "./routes/keys.ts";
import { organizationRoutes } from "./routes/organization.ts";
import { modelRoutes } from "./routes/models.ts";
import { provenanceRoutes } from "./routes/provenance.ts";
import { auditRoutes } from "./routes/audit.ts";
import { portabilityRoutes } from "./routes/portability.ts";
import { publishingRoutes } from "./routes/publishing.ts";
import { storeRoutes } from "./routes/store.ts";
import { eventSubscriptionRoutes } from "./routes/event-subscriptions.ts";
import { systemRoutes } from "./routes/system.ts";
import { vaultRoutes } from "./routes/vaults.ts";

export const ROUTES: Route[] = [
  ...systemRoutes,
  ...keyRoutes,
  ...organizationRoutes,
  ...modelRoutes,
  ...provenanceRoutes,
  ...auditRoutes,
  ...publishingRoutes,
  ...portabilityRoutes,
  ...storeRoutes,
  ...commerceRoutes,
  ...vaultRoutes,
  ...contextRoutes,
  ...eventSubscriptionRoutes,
];

/** REST API v1 as a fetch handler: Request in, Response out; any error a problem+json. */
export function createRestHandler(ctx: AppContext): (request: Request) => Promise<Response> {
  const openapi = JSON.stringify(buildOpenApi(ROUTES, ctx.config.publicUrl));
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/openapi.json" && request.method === "GET") {
      return new Response(openapi, { headers: { "content-type": "application/json" } });
    }
    const matches = ROUTES.filter((r) => r.pattern.test(url.pathname));
    if (matches.length === 0) return problem("not_found", `no route ${url.pathname}`);
    const match = matches.find((r) => r.method === request.method);
    if (!match) {
      return problem(
        "method_not_allowed",
        `${request.method} is not allowed on ${url.pathname}`,
        {},
        {
          allow: matches.map((m) => m.method).join(", "),
        },
      );
    }
    try {
      return await match.answer(ctx, request, url);
    } catch (error) {
      return problemFrom(error, ctx.log);
    }
  };
}

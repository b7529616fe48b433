import type { AppContext } from "@memstore/api";
import { appRouter } from "@memstore/api/trpc";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { PortalAuth } from "./auth.ts";

/** tRPC over fetch at /api/trpc, the portal's own API; the session cookie says who is calling. */
export function createTrpcHandler(ctx: AppContext, auth: PortalAuth) {
  return async (request: Request): Promise<Response> => {
    // Session cookies are SameSite=Lax already; refusing foreign origins outright costs nothing.
    const origin = request.headers.get("origin");
    if (origin && new URL(origin).host !== new URL(request.url).host) {
      return new Response(JSON.stringify({ error: "cross-origin request refused" }), { status: 403 });
    }
    return fetchRequestHandler({
      endpoint: "/api/trpc",
      req: request,
      router: appRouter,
      createContext: async () => ({ app: ctx, ...(await auth.sessionOf(request.headers.get("cookie"))) }),
    });
  };
}

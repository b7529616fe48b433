import type { AppContext } from "@memstore/api";
import { appRouter } from "@memstore/api/trpc";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { type PortalAuth, parseCookies } from "./auth.ts";

/** The cookie the organisation switcher sets: which of the user's organisations pages act in. */
export const ORG_COOKIE = "memstore_org";

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
      createContext: async () => ({
        app: ctx,
        userId: await auth.userIdOf(request.headers),
        orgId: parseCookies(request.headers.get("cookie") ?? undefined)[ORG_COOKIE] ?? null,
      }),
    });
  };
}

import type { AppContext } from "@memstore/api";
import { appRouter } from "../trpc/root.ts";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { problem } from "../rest/problem.ts";
import type { PortalAuth } from "./auth.ts";

/** tRPC over fetch at /api/trpc, the portal's own API; the session cookie says who is calling. */
export function createTrpcHandler(ctx: AppContext, auth: PortalAuth) {
  return async (request: Request): Promise<Response> => {
    // Session cookies are SameSite=Lax already; refusing foreign origins outright costs nothing. An
    // opaque origin (`null`: a sandboxed frame, a file) is foreign too.
    const origin = request.headers.get("origin");
    if (origin && originHost(origin) !== new URL(request.url).host) {
      return problem("forbidden", "cross-origin request refused");
    }
    return fetchRequestHandler({
      endpoint: "/api/trpc",
      req: request,
      router: appRouter,
      createContext: async () => ({ app: ctx, ...(await auth.sessionOf(request.headers.get("cookie"))) }),
    });
  };
}

/** The host of an `Origin` header, or null when it names none (`null`, a malformed value). */
function originHost(origin: string): string | null {
  return URL.canParse(origin) ? new URL(origin).host : null;
}

import type { IncomingMessage } from "node:http";
import type { AppContext } from "@memstore/api";
import { createCaller } from "../trpc/root.ts";
import { TRPCError } from "@trpc/server";
import type { PortalAuth } from "./auth.ts";

type Caller = ReturnType<typeof createCaller>;

/**
 * Pages about one object answer 404 when the visitor may not see it (another tenant's cube or
 * vault, an unknown listing). Next.js streams pages, so a page cannot set its status once it has
 * started; the server asks the same tRPC procedure the page will call, before rendering.
 */
const GUARDS: Array<[RegExp, (api: Caller, id: string) => Promise<unknown>, { public: boolean }]> = [
  [/^\/studio\/cubes\/([^/]+)$/, (api, id) => api.publishing.cube({ cube_id: id }), { public: false }],
  [/^\/vaults\/([^/]+)$/, (api, id) => api.vaults.get({ vault_id: id }), { public: false }],
  // The store is browsed without signing in: a visitor is answered for the listings anyone may see.
  [/^\/store\/([^/]+)$/, (api, id) => api.store.listing({ id }), { public: true }],
  [/^\/store\/publishers\/([^/]+)$/, (api, slug) => api.store.publisher({ slug }), { public: true }],
];

export function createPageGuards(ctx: AppContext, auth: PortalAuth) {
  return async function isMissing(req: IncomingMessage, pathname: string): Promise<boolean> {
    if (req.method !== "GET") return false;
    for (const [pattern, check, access] of GUARDS) {
      const id = pattern.exec(pathname)?.[1];
      if (!id) continue;
      const { userId, orgId } = await auth.sessionOf(req.headers.cookie);
      // Signed-out visitors get a private page, which sends them to sign in.
      if (!userId && !access.public) return false;
      const api = createCaller({ app: ctx, userId, orgId });
      try {
        await check(api, decodeURIComponent(id));
        return false;
      } catch (error) {
        if (error instanceof TRPCError && error.code === "NOT_FOUND") return true;
        return false;
      }
    }
    return false;
  };
}

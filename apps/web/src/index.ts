export { createRestHandler, ROUTES } from "./rest/router.ts";
export type { Route } from "./rest/route.ts";
export { type HttpServer, startHttpServer } from "./server.ts";
export { hasPortalBuild } from "./portal/next-app.ts";

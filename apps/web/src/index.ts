export { createRestHandler, ROUTES } from "./rest/router.ts";
export { type HttpServer, startHttpServer } from "./server.ts";

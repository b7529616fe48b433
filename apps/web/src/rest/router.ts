import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { type AppContext, authenticateApiKey } from "@memstore/api";
import { AppError } from "@memstore/core";
import { buildOpenApi } from "./openapi.ts";
import { problem, problemFrom } from "./problem.ts";
import { json, type RouteDef } from "./route.ts";
import { agentRoutes } from "./routes/agents.ts";
import { keyRoutes } from "./routes/keys.ts";
import { modelRoutes } from "./routes/models.ts";
import { provenanceRoutes } from "./routes/provenance.ts";
import { publishingRoutes } from "./routes/publishing.ts";
import { storeRoutes } from "./routes/store.ts";
import { subscriptionRoutes } from "./routes/subscriptions.ts";
import { systemRoutes } from "./routes/system.ts";
import { vaultRoutes } from "./routes/vaults.ts";

export const ROUTES: RouteDef[] = [
  ...systemRoutes,
  ...keyRoutes,
  ...modelRoutes,
  ...provenanceRoutes,
  ...publishingRoutes,
  ...storeRoutes,
  ...vaultRoutes,
  ...subscriptionRoutes,
  ...agentRoutes,
];

type Compiled = { def: RouteDef; pattern: RegExp; names: string[] };

const compiled: Compiled[] = ROUTES.map((def) => {
  const names: string[] = [];
  const source = def.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { def, pattern: new RegExp(`^${source}$`), names };
});

/** The largest JSON request body read into memory; payloads stream through their own route. */
const MAX_JSON_BYTES = 1024 * 1024;

/** REST API v1 as a fetch handler: Request in, Response out. */
export function createRestHandler(ctx: AppContext): (request: Request) => Promise<Response> {
  const openapi = JSON.stringify(buildOpenApi(ROUTES, ctx.config.publicUrl));
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/openapi.json" && request.method === "GET") {
      return new Response(openapi, { headers: { "content-type": "application/json" } });
    }
    const matches = compiled.filter((c) => c.pattern.test(url.pathname));
    if (matches.length === 0) return problem("not_found", `no route ${url.pathname}`);
    const match = matches.find((c) => c.def.method === request.method);
    if (!match) {
      return problem(
        "method_not_allowed",
        `${request.method} is not allowed on ${url.pathname}`,
        {},
        {
          allow: matches.map((m) => m.def.method).join(", "),
        },
      );
    }
    try {
      return await dispatch(ctx, match, request, url);
    } catch (error) {
      return problemFrom(error, ctx.log);
    }
  };
}

async function dispatch(
  ctx: AppContext,
  { def, pattern, names }: Compiled,
  request: Request,
  url: URL,
): Promise<Response> {
  const values = pattern.exec(url.pathname)!.slice(1);
  const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i]!)]));
  const subject = def.scope ? await authenticateRequest(ctx, request) : (null as never);
  const query = def.query ? def.query.parse(Object.fromEntries(url.searchParams)) : undefined;
  // A route that also takes a raw body reads its own request.
  const body = def.body && !def.rawBody ? def.body.parse(await readJson(request)) : undefined;
  const result = await def.handler({ ctx, subject, params, body, query, request });
  if (result instanceof Response) return result;
  if (def.status === 204 || result === undefined) return new Response(null, { status: 204 });
  return json(result, def.status ?? 200);
}

/** The caller of an API request, from its `Authorization: Bearer msk_…` key. */
export function authenticateRequest(ctx: AppContext, request: Request) {
  return authenticateApiKey(ctx, request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? null);
}

export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "send the request body as application/json");
  }
  const text = await readBoundedText(request, MAX_JSON_BYTES);
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_json", `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A request body as UTF-8 text, refused (413) past `maxBytes` without reading further. */
export async function readBoundedText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new AppError("payload_too_large", `request bodies here are limited to ${maxBytes} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge();
  if (!request.body) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += part.length;
    if (size > maxBytes) throw tooLarge();
    parts.push(part);
  }
  return new TextDecoder("utf-8").decode(Buffer.concat(parts));
}

/** A request body as a Node stream, for handlers that stream it on (payload uploads); 400 when empty. */
export function bodyStream(request: Request): Readable {
  if (!request.body) throw new AppError("invalid_input", "the request has no body");
  return Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>);
}

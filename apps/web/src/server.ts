import { describeError } from "@memstore/core";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { type AppContext } from "@memstore/api";
import { userSubject } from "@memstore/api/identity";
import { createMcpHandler } from "./mcp/handler.ts";
import { createAuditExport } from "./portal/audit-export.ts";
import { createPortalAuth, type PortalAuth } from "./portal/auth.ts";
import { type PortalPages, startPortalPages } from "./portal/next-app.ts";
import { createPageGuards } from "./portal/page-guards.ts";
import { createPayloadDownload, PORTAL_PAYLOAD_PATH } from "./portal/payload-download.ts";
import { createTrpcHandler } from "./portal/trpc-handler.ts";
import { blobBodyOf } from "./rest/download.ts";
import { jsonBodyOf } from "./rest/route.ts";
import { authenticateRequest } from "./rest/authenticate.ts";
import { createRestHandler } from "./rest/router.ts";
import { createTusUploads, type TusUploads } from "./uploads/tus-uploads.ts";

export type HttpServer = { url: string; port: number; close(): Promise<void> };

type Handlers = {
  rest: (request: Request) => Promise<Response>;
  mcp: (request: Request) => Promise<Response>;
  trpc: (request: Request) => Promise<Response>;
  auditExport: (request: Request) => Promise<Response>;
  payloadDownload: ReturnType<typeof createPayloadDownload>;
  auth: PortalAuth;
  uploads: TusUploads;
  pages: PortalPages | null;
  isMissing: (req: IncomingMessage, pathname: string) => Promise<boolean>;
};

/**
 * The HTTP front of MemStore: REST API v1 under /api/v1 (fetch-style handlers, request bodies
 * streamed straight through), tus uploads, the portal's tRPC API and sign-in under /api/trpc and
 * /api/auth, and the portal's pages (Next.js) for everything else. With `portal: "off"` (the
 * default; tests of the API use it) / is a small index pointing to the API's documents.
 */
export async function startHttpServer(
  ctx: AppContext,
  options: { port: number; host: string; portal?: "dev" | "production" | "off" },
): Promise<HttpServer> {
  const auth = createPortalAuth(ctx);
  const handlers: Handlers = {
    rest: createRestHandler(ctx),
    mcp: createMcpHandler(ctx),
    trpc: createTrpcHandler(ctx, auth),
    auditExport: createAuditExport(ctx, auth),
    payloadDownload: createPayloadDownload(ctx, auth),
    auth,
    uploads: createTusUploads(ctx, async (request) => {
      // The portal's pages upload with the session cookie; the CLI and SDK with an API key.
      const { userId, orgId } = await auth.sessionOf(request.headers.get("cookie"));
      return userId && !request.headers.get("authorization")
        ? userSubject(ctx, userId, orgId)
        : authenticateRequest(ctx, request);
    }),
    pages: null,
    isMissing: createPageGuards(ctx, auth),
  };
  let pageHeaders: Record<string, string> = {};
  const table = dispatchTable(handlers, ctx, () => pageHeaders);
  const server = createServer((req, res) => {
    void handle(req, res, table).catch((error: unknown) => {
      ctx.log(`http error: ${describeError(error)}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/problem+json" });
      res.end();
    });
  });
  // Uploads may be slow; the default 5-minute request timeout would cut off large payloads.
  server.requestTimeout = 0;
  // Idle keep-alive connections stay open longer than clients keep them (undici: the server's hint
  // less a second), so a client never reuses a socket the server is closing (ECONNRESET).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  const portal = options.portal ?? "off";
  if (portal !== "off") {
    handlers.pages = await startPortalPages(portal, host, port, ctx.config.publicUrl);
    pageHeaders = portalPageHeaders(portal === "dev");
  }
  return {
    url: `http://${host}:${port}`,
    port,
    close: async () => {
      handlers.uploads.close();
      await handlers.pages?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Where each request goes, first match wins: next-auth and the portal's pages answer on the raw
 * socket; everything else is a fetch-style handler whose Response is written back here.
 */
type Destination =
  | { node: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> }
  | { fetch: (request: Request, url: URL) => Promise<Response> };
type Dispatch = { when: (url: URL, method: string) => boolean } & Destination;

const isRead = (method: string) => method === "GET" || method === "HEAD";

function dispatchTable(
  handlers: Handlers,
  ctx: AppContext,
  pageHeaders: () => Record<string, string>,
): Dispatch[] {
  return [
    {
      when: (url) => url.pathname.startsWith("/api/auth/"),
      node: (req, res, url) => handlers.auth.handle(req, res, url),
    },
    // Agents over MCP: the same API key, the same services.
    { when: (url) => url.pathname === "/mcp", fetch: (request) => handlers.mcp(request) },
    {
      when: (url) => handlers.pages !== null && !url.pathname.startsWith("/api/"),
      node: async (req, res, url) => {
        for (const [name, value] of Object.entries(pageHeaders())) res.setHeader(name, value);
        // An unmatched path renders the app's not-found page with a real 404 status.
        if (await handlers.isMissing(req, url.pathname)) req.url = "/_not-found-here";
        await handlers.pages!.handle(req, res);
      },
    },
    {
      when: (url) => url.pathname.startsWith("/api/trpc/"),
      // The portal's own data: per person, never kept by a cache (a created key's secret among it).
      fetch: async (request) => withHeaders(await handlers.trpc(request), { "cache-control": "no-store" }),
    },
    {
      when: (url, method) => url.pathname === "/api/portal/audit/export" && method === "GET",
      fetch: (request) => handlers.auditExport(request),
    },
    {
      when: (url, method) => PORTAL_PAYLOAD_PATH.test(url.pathname) && isRead(method),
      fetch: (request, url) => {
        const [, vaultId, installId] = PORTAL_PAYLOAD_PATH.exec(url.pathname)!;
        return handlers.payloadDownload(request, vaultId!, installId!);
      },
    },
    {
      when: (url) => url.pathname.startsWith("/api/"),
      fetch: async (request, url) => (await handlers.uploads.handle(request, url)) ?? handlers.rest(request),
    },
    {
      when: (url, method) => url.pathname === "/" && isRead(method),
      fetch: async () =>
        new Response(indexPage(ctx), { headers: { "content-type": "text/html; charset=utf-8" } }),
    },
  ];
}

/**
 * Sent with every response: no MIME sniffing, no framing by another site, no referrer sent to other
 * origins. The portal's pages add a content security policy (`portalPageHeaders`).
 */
const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/**
 * The portal's pages: scripts, styles, connections and form posts to this origin only, no framing,
 * no plugins. Next's pages carry inline scripts (hydration data), and in dev mode evaluate code and
 * keep a websocket for hot reload.
 */
function portalPageHeaders(dev: boolean): Record<string, string> {
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ];
  return { "content-security-policy": policy.join("; ") };
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

async function handle(req: IncomingMessage, res: ServerResponse, table: Dispatch[]) {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  const method = req.method ?? "GET";
  const destination = table.find((d) => d.when(url, method));
  if (destination && "node" in destination) return destination.node(req, res, url);
  const response = destination
    ? await destination.fetch(toRequest(req, url), url)
    : new Response(JSON.stringify({ error: "not found" }), {
        status: 404,
        headers: { "content-type": "application/json" },
      });
  await writeResponse(response, res, req);
}

function toRequest(req: IncomingMessage, url: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
    // Node's fetch needs this to stream a request body.
    duplex: "half",
  } as RequestInit);
}

async function writeResponse(response: Response, res: ServerResponse, req: IncomingMessage): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // Answered before its body was read to the end (413, 415, 401 on an upload): the rest of the body
  // is still on its way, so the connection cannot carry another request. Close it after this one.
  if (!req.complete && req.method !== "GET" && req.method !== "HEAD") headers.connection = "close";
  const text = jsonBodyOf(response);
  if (text !== undefined) {
    headers["content-length"] = String(Buffer.byteLength(text));
    res.writeHead(response.status, headers);
    res.end(text);
    return;
  }
  res.writeHead(response.status, headers);
  const send = blobBodyOf(response);
  if (send) {
    // A blob that fails mid-way cuts the connection: the client sees fewer bytes than Content-Length.
    await send(res).then(
      () => res.end(),
      () => res.destroy(),
    );
    return;
  }
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  // A client that goes away (an event stream closed, a download cut) cancels the body's source.
  res.on("close", () => body.destroy());
  await new Promise<void>((resolve, reject) => {
    body.on("error", reject).pipe(res).on("finish", resolve).on("close", resolve).on("error", reject);
  });
}

function indexPage(ctx: AppContext): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MemStore</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>MemStore</h1>
<p>The exchange for AI memory: publish governed MemCubes, install them into vaults, and let agents pull them.</p>
<ul>
<li><a href="/api/v1/openapi.json">REST API v1 — OpenAPI 3.1 document</a></li>
<li><a href="/api/v1/health">Health</a></li>
</ul>
<p>Mode: ${ctx.config.mode}; embedder: ${ctx.embedder.model}.</p>
</body></html>`;
}

import type { AppContext } from "@memstore/api";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import { authenticateRequest } from "../rest/authenticate.ts";
import { readBoundedText } from "../rest/body.ts";
import { describeZodError, problemFrom } from "../rest/problem.ts";
import { memstoreMcpServer } from "./tools.ts";

/**
 * `POST /mcp`: the Model Context Protocol over streamable HTTP, with the same bearer API key as the
 * REST API. Stateless: each request authenticates, gets a server whose tools act as that key, and
 * is answered with JSON (no session to resume, nothing kept between requests).
 */
export function createMcpHandler(ctx: AppContext) {
  return async (request: Request): Promise<Response> => {
    let subject;
    try {
      subject = await authenticateRequest(ctx, request);
    } catch (error) {
      const refused = problemFrom(error, ctx.log);
      if (refused.status === 401) refused.headers.set("www-authenticate", 'Bearer realm="memstore"');
      return refused;
    }
    let forwarded: Request;
    try {
      const body = request.method === "POST" ? await readBoundedText(request, MAX_MCP_BYTES) : null;
      const refused = body === null ? null : invalidToolCall(body);
      if (refused) return Response.json(refused);
      forwarded = new Request(request.url, { method: request.method, headers: request.headers, body });
    } catch (error) {
      return problemFrom(error, ctx.log);
    }
    const server = memstoreMcpServer(ctx, subject, new URL(request.url).origin);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(forwarded);
    } finally {
      await server.close();
    }
  };
}

/** The largest MCP message read: a tool's arguments are at most a memory's text and its metadata. */
const MAX_MCP_BYTES = 1024 * 1024;

/** What `tools/call` must carry: the tool's name, and its arguments as an object of named values. */
const toolCallParams = z.object({
  name: z.string().min(1).max(200),
  arguments: z
    .record(z.string(), z.unknown(), "arguments must be an object of the tool's named arguments")
    .optional(),
});

/**
 * A `tools/call` whose params are not a name and an arguments object, answered as JSON-RPC's
 * invalid params (-32602) with a readable message — the SDK would answer -32603 with its schema's
 * raw dump. Anything else (other methods, batches, JSON that does not parse) is the SDK's to judge.
 */
function invalidToolCall(body: string) {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) return null;
  const { method, params, id } = message as { method?: unknown; params?: unknown; id?: unknown };
  if (method !== "tools/call") return null;
  const parsed = toolCallParams.safeParse(params);
  if (parsed.success) return null;
  return {
    jsonrpc: "2.0",
    id: typeof id === "string" || typeof id === "number" ? id : null,
    error: { code: -32602, message: `Invalid params: ${describeZodError(parsed.error)}` },
  };
}

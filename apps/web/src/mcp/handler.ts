import type { AppContext } from "@memstore/api";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { authenticateRequest } from "../rest/authenticate.ts";
import { problemFrom } from "../rest/problem.ts";
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
    const server = memstoreMcpServer(ctx, subject, new URL(request.url).origin);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request);
    } finally {
      await server.close();
    }
  };
}

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Command } from "commander";
import { keyOption, urlOption } from "../client.ts";

/**
 * `memstore mcp --vault <id>`: MemStore's MCP tools over stdio, for agents that start their tools
 * as processes. The tools are the server's own (`POST /mcp`, with this key): this process lists and
 * calls them there, naming `--vault` where a call names no vault, so both transports always offer
 * the same tools under the same rules.
 */
export function mcpCommand(): Command {
  return new Command("mcp")
    .description(
      "serve MemStore's MCP tools over stdio (search_memory, add_memory, …), acting as your API key",
    )
    .option("--vault <vault_id>", "the vault the tools act on when a call names none")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (options: { vault?: string; url: string; key: string }) => {
      const remote = new Client({ name: "memstore-cli", version: "1.0.0" });
      await remote.connect(
        new StreamableHTTPClientTransport(new URL("/mcp", options.url), {
          requestInit: { headers: { authorization: `Bearer ${options.key}` } },
        }),
      );
      const server = new Server({ name: "memstore", version: "1.0.0" }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, (request) => remote.listTools(request.params));
      server.setRequestHandler(CallToolRequestSchema, (request) => {
        const args = { ...(request.params.arguments ?? {}) };
        if (options.vault && args.vault_id === undefined) args.vault_id = options.vault;
        return remote.callTool({ ...request.params, arguments: args });
      });
      const stdio = new StdioServerTransport();
      stdio.onclose = () => void remote.close();
      await server.connect(stdio);
    });
}

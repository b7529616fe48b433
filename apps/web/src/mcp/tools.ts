import type { AppContext } from "@memstore/api";
import {
  archiveMemory,
  createMemory,
  createMemoryInput,
  getMemory,
  memoryHistory,
  updateMemory,
  updateMemoryInput,
} from "@memstore/api/memories";
import { copyQuery, listInstalls, payloadLink } from "@memstore/api/vaults";
import { searchInput, searchVault } from "@memstore/api/search";
import { contextInput, vaultContext } from "@memstore/api/context";
import { AppError, idSchema, type Subject } from "@memstore/core";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { assertStorable } from "../rest/body.ts";
import { problemOf } from "../rest/problem.ts";

/**
 * The MCP tools over MemStore's own services, for one caller: the API key's subject. Every tool
 * acts within the key's scopes and vault binding, and license terms apply as at the REST API (the
 * services judge both). A tool's vault is the one it names, else the key's.
 */
const vault = { vault_id: idSchema.optional().describe("the vault; the key's own when it is bound to one") };
const memoryRef = { ...vault, memory_id: idSchema.describe("the memory's id") };
const provenance = z
  .object({
    id: z.string(),
    slug: z.string(),
    version: z.string(),
    publisher: z.string(),
    install_id: z.string(),
  })
  .describe("the installed cube a result came from: its version and publisher");

const hit = z.object({
  id: z.string(),
  text: z.string(),
  score: z.number(),
  source: z.enum(["install", "memory"]),
  cube: provenance.optional(),
  metadata: z.record(z.string(), z.unknown()),
});
const excluded = z
  .array(z.object({ install_id: z.string(), code: z.enum(["purpose_not_licensed", "share_cap"]) }))
  .optional()
  .describe("installs left out: their terms license other purposes, or their listing's share cap cut them");
const memory = z.object({ id: z.string(), text: z.string(), version: z.number() }).loose();

/** A tool's answer: the value as structured content, and as JSON text for clients that read text. */
const answer = (value: Record<string, unknown>): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(value) }],
  structuredContent: value,
});

/**
 * Runs a tool's work on its arguments as the REST API runs a request: the arguments refused first
 * where REST refuses a body (a NUL, a lone surrogate, nesting past the limit), then the service.
 * Any refusal is a tool error the agent can read — `code: message`, as problem+json says it — and
 * anything unexpected is logged and said only to be internal: no statement or parameter leaves.
 */
function toolRunner(ctx: AppContext) {
  return async (args: unknown, work: () => Promise<Record<string, unknown>>): Promise<CallToolResult> => {
    try {
      assertStorable(args);
      return answer(await work());
    } catch (error) {
      const { code, detail } = problemOf(error, ctx.log);
      return { isError: true, content: [{ type: "text", text: `${code}: ${detail}` }] };
    }
  };
}

function vaultOf(subject: Subject, asked: string | undefined): string {
  const id = asked ?? (subject.kind === "user" ? null : subject.vaultId);
  if (!id) throw new AppError("invalid_input", "name the vault: vault_id (this key is bound to none)");
  return id;
}

/** What each group of tools is registered with: the server, the caller, and how a call is run. */
type Registry = {
  server: McpServer;
  ctx: AppContext;
  subject: Subject;
  run: ReturnType<typeof toolRunner>;
  origin: string;
};

const read = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };
const write = { readOnlyHint: false, destructiveHint: false, openWorldHint: false };

export function memstoreMcpServer(ctx: AppContext, subject: Subject, origin: string): McpServer {
  const server = new McpServer({ name: "memstore", version: "1.0.0" });
  const registry: Registry = { server, ctx, subject, run: toolRunner(ctx), origin };
  registerSearchTool(registry);
  registerContextTool(registry);
  registerMemoryTools(registry);
  registerInstallTools(registry);
  return server;
}

/** `search_memory`: the REST search, over installs and the vault's own memories. */
function registerSearchTool({ server, ctx, subject, run }: Registry) {
  server.registerTool(
    "search_memory",
    {
      title: "Search memory",
      description:
        "Hybrid search over the vault's installed memory and its own memories; each installed result names its cube, version and publisher",
      // The REST search's own fields and bounds.
      inputSchema: { ...vault, ...searchInput.shape },
      outputSchema: {
        results: z.array(hit),
        excluded,
      },
      annotations: read,
    },
    ({ vault_id, ...input }) =>
      run(input, async () => {
        const found = await searchVault(ctx, subject, vaultOf(subject, vault_id), searchInput.parse(input));
        return found;
      }),
  );
}

/** `get_context`: the REST context — a block to paste within a token budget, and the modules that fit. */
function registerContextTool({ server, ctx, subject, run, origin }: Registry) {
  server.registerTool(
    "get_context",
    {
      title: "Get context",
      description:
        "The vault's best passages for a query as one block to paste, never over max_tokens (o200k_base or cl100k_base), near-duplicates dropped, grouped by source, each passage behind a citation mark [n]; `citations` says where each came from, `modules` the installed KV snapshots and LoRA packs that fit the query (with download links)",
      inputSchema: { ...vault, ...contextInput.shape },
      outputSchema: {
        id: z.string().describe("the context's id, for feedback on which passages were used"),
        context: z.string(),
        tokens: z.number().int(),
        citations: z.array(
          z.object({
            n: z.number().int(),
            source: z.enum(["install", "memory"]),
            install_id: z.string().optional(),
            cube: z.object({ slug: z.string(), version: z.string(), publisher: z.string() }).optional(),
            section: z.string().optional(),
            memory_id: z.string().optional(),
          }),
        ),
        modules: z.array(
          z.object({
            install_id: z.string(),
            type: z.enum(["activation", "parametric"]),
            base_model: z.string(),
            relevance: z.number(),
            link: z.object({ url: z.string(), expires_at: z.string() }),
          }),
        ),
        excluded,
      },
      annotations: read,
    },
    ({ vault_id, ...input }) =>
      run(input, () =>
        vaultContext(ctx, subject, vaultOf(subject, vault_id), contextInput.parse(input), origin),
      ),
  );
}

/** The vault's own memories: add, get, update, archive, and a memory's history. */
function registerMemoryTools({ server, ctx, subject, run }: Registry) {
  server.registerTool(
    "add_memory",
    {
      title: "Add a memory",
      description: "Write a memory of the organisation's own into the vault (the key needs vault:write)",
      inputSchema: { ...vault, ...createMemoryInput.shape },
      outputSchema: { memory },
      annotations: write,
    },
    ({ vault_id, ...input }) =>
      run(input, async () => ({
        memory: await createMemory(ctx, subject, vaultOf(subject, vault_id), createMemoryInput.parse(input)),
      })),
  );
  server.registerTool(
    "get_memory",
    {
      title: "Get a memory",
      description: "One of the vault's own memories, its current version",
      inputSchema: memoryRef,
      outputSchema: { memory },
      annotations: read,
    },
    ({ vault_id, memory_id }) =>
      run({}, async () => ({ memory: await getMemory(ctx, subject, vaultOf(subject, vault_id), memory_id) })),
  );
  server.registerTool(
    "update_memory",
    {
      title: "Update a memory",
      description: "A new version of one of the vault's memories; the old one stays in its history",
      inputSchema: { ...memoryRef, ...updateMemoryInput.shape },
      outputSchema: { memory },
      annotations: { ...write, idempotentHint: false },
    },
    ({ vault_id, memory_id, ...changes }) =>
      run(changes, async () => ({
        memory: await updateMemory(
          ctx,
          subject,
          vaultOf(subject, vault_id),
          memory_id,
          updateMemoryInput.parse(changes),
        ),
      })),
  );
  server.registerTool(
    "archive_memory",
    {
      title: "Archive a memory",
      description: "Take one of the vault's memories out of search (its history is kept)",
      inputSchema: memoryRef,
      outputSchema: { memory },
      annotations: { ...write, destructiveHint: true, idempotentHint: true },
    },
    ({ vault_id, memory_id }) =>
      run({}, async () => ({
        memory: await archiveMemory(ctx, subject, vaultOf(subject, vault_id), memory_id),
      })),
  );
  server.registerTool(
    "memory_history",
    {
      title: "Memory history",
      description: "Every version of one of the vault's memories, oldest first",
      inputSchema: memoryRef,
      outputSchema: { versions: z.array(memory) },
      annotations: read,
    },
    ({ vault_id, memory_id }) =>
      run({}, async () => {
        const history = await memoryHistory(ctx, subject, vaultOf(subject, vault_id), memory_id);
        return { versions: Array.isArray(history) ? history : (history as { items: unknown[] }).items };
      }),
  );
}

/** What is installed in the vault, and a link to download an installed binary payload. */
function registerInstallTools({ server, ctx, subject, run, origin }: Registry) {
  server.registerTool(
    "list_installs",
    {
      title: "List installs",
      description: "What is installed in the vault: each cube, its version and publisher, and its state",
      inputSchema: vault,
      outputSchema: { installs: z.array(z.object({ id: z.string() }).loose()) },
      annotations: read,
    },
    ({ vault_id }) =>
      run({}, async () => {
        const page = await listInstalls(ctx, subject, vaultOf(subject, vault_id), { limit: 100 });
        return { installs: page.items };
      }),
  );
  server.registerTool(
    "get_payload_link",
    {
      title: "Get a payload link",
      description:
        "A short-lived signed URL (5 minutes) to download an installed KV snapshot's or LoRA pack's fingerprinted copy; counted as a call when it is used",
      // The REST payload link's own: the copy in another dtype its type offers.
      inputSchema: { ...vault, install_id: idSchema, ...copyQuery.shape },
      outputSchema: { url: z.string(), expires_at: z.string() },
      annotations: read,
    },
    ({ vault_id, install_id, dtype }) =>
      run({}, () => payloadLink(ctx, subject, vaultOf(subject, vault_id), install_id, dtype, origin)),
  );
}

import { ErrorCode as JsonRpcCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { memories } from "@memstore/db";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzSeed, valueFor } from "./support/fuzz.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * MCP input is held to what REST holds: the probe stored a memory nested 200 levels deep and one
 * with a lone surrogate through `add_memory`, got back the failed SQL statement with its
 * parameters for a NUL, and a raw zod dump (-32603) for arguments that were not an object. Every
 * tool is fuzzed here with the route fuzz's generators, through the official SDK client: a call is
 * answered, refused as a tool error `code: message` with a code REST would give, or (for arguments
 * that are not an object) as JSON-RPC invalid params — never an internal error, never a statement.
 */
const SEED = fuzzSeed();
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let key: string;
let client: Client;
const known: Record<string, string[]> = {};
const logged: string[] = [];
const tally = { calls: 0, answered: 0, refused: new Map<string, number>(), invalidParams: 0 };

beforeAll(async () => {
  bed = await openHttpTestbed({}, { log: (line) => logged.push(line) });
  key = await bed.organization("MCP Fuzzers", "owner@mcp-fuzzers.example.com");
  const made = (method: string, path: string, body?: unknown) => bed.apiOk(key, method, path, body);
  const vault = await made("POST", "/api/v1/vaults", { name: "main" });
  const memory = await made("POST", `/api/v1/vaults/${vault.id}/memories`, {
    text: "The crane is rated 40 t.",
  });
  const { listing } = await bed.listedCube("mcp-fuzz-source", "# Cranes\n\nStorm cranes are lashed.\n");
  await made("POST", `/api/v1/store/listings/${listing.id}/acquire`);
  const install = await made("POST", `/api/v1/vaults/${vault.id}/installs`, { listing_id: listing.id });
  Object.assign(known, { vault_id: [vault.id], memory_id: [memory.id], install_id: [install.id] });
  client = new Client({ name: "memstore-mcp-fuzz", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/mcp", bed.server.url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
});

afterAll(async () => {
  await client?.close().catch(() => {});
  await bed?.close();
  const refused = [...tally.refused].map(([code, n]) => `${code}×${n}`).join(" ");
  console.log(
    `mcp fuzz (seed ${SEED}): ${tally.calls} calls, ${tally.answered} answered, invalid params×${tally.invalidParams}; ${refused}`,
  );
});

/** The problem codes a refusal may carry: REST's own, never `internal`. */
const REFUSAL =
  /^(invalid_input|not_found|forbidden|conflict|entitlement_required|entitlement_inactive|license_rate|purpose_not_licensed|payload_too_large|dependency_down|vault_frozen|link_expired): \S/;
/** What a database error or a stack trace would show, had one reached the client. */
const LEAKS = /failed query|insert into|select .+ from|update "\w+" set|violates|\n\s+at \S/i;

/** A tool call as an agent makes it; what it came to, or why it is unacceptable. */
async function judged(name: string, args: unknown): Promise<string | null> {
  tally.calls++;
  let result: CallToolResult;
  try {
    result = (await client.callTool({ name, arguments: args as Record<string, unknown> })) as CallToolResult;
  } catch (error) {
    if (
      error instanceof McpError &&
      error.code === Number(JsonRpcCode.InvalidParams) &&
      !LEAKS.test(error.message)
    ) {
      tally.invalidParams++;
      return null;
    }
    return `${name} ${JSON.stringify(args).slice(0, 200)} threw ${String(error)}`;
  }
  if (!result.isError) {
    tally.answered++;
    return null;
  }
  const text = (result.content[0] as { text?: string } | undefined)?.text ?? "";
  const code = text.split(":")[0]!;
  tally.refused.set(code, (tally.refused.get(code) ?? 0) + 1);
  // The SDK's own input validation answers in its words; it names invalid params and leaks nothing.
  const sdkValidation = text.startsWith("MCP error -32602: Input validation error");
  if ((REFUSAL.test(text) || sdkValidation) && !LEAKS.test(text)) return null;
  return `${name} ${JSON.stringify(args).slice(0, 200)} → ${text.slice(0, 300)}`;
}

describe("MCP tools refuse what REST refuses, readably", () => {
  it("refuses a NUL, a lone surrogate and nesting past 64 levels in a memory, storing nothing", async () => {
    const before = await bed.t.ctx.db.select().from(memories);
    const deep = JSON.parse(`${'{"a":'.repeat(200)}1${"}".repeat(200)}`);
    for (const [tool, args, says] of [
      ["add_memory", { text: "Gate\u00007 is closed." }, "text holds a NUL character"],
      ["add_memory", { text: "Gate \ud800 7 is closed." }, "text holds a lone surrogate"],
      ["add_memory", { text: "Gate 7 is closed.", metadata: deep }, "nests deeper than 64 levels"],
      [
        "update_memory",
        { memory_id: known.memory_id![0], text: "Gate\u00007." },
        "text holds a NUL character",
      ],
    ] as const) {
      const result = (await client.callTool({
        name: tool,
        arguments: { vault_id: known.vault_id![0], ...args },
      })) as CallToolResult;
      expect(result.isError, tool).toBe(true);
      const text = (result.content[0] as { text: string }).text;
      expect(text, tool).toMatch(/^invalid_input: /);
      expect(text, tool).toContain(says);
      expect(text, tool).not.toMatch(LEAKS);
    }
    expect(await bed.t.ctx.db.select().from(memories)).toHaveLength(before.length);
  });

  it("answers tools/call whose arguments are not an object with -32602 and a readable message", async () => {
    for (const args of ["not an object", [1, 2], 42]) {
      const response = await fetch(`${bed.server.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 7,
          method: "tools/call",
          params: { name: "add_memory", arguments: args },
        }),
      });
      const answer = await response.json();
      expect(answer, JSON.stringify(args)).toMatchObject({
        jsonrpc: "2.0",
        id: 7,
        error: {
          code: -32602,
          message: "Invalid params: arguments: arguments must be an object of the tool's named arguments",
        },
      });
    }
  });
});

describe("every MCP tool answers generated arguments without an internal error or a leak", () => {
  it("fuzzes each tool listed", async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThanOrEqual(8);
    const unacceptable: string[] = [];
    for (const tool of tools) {
      await fc
        .assert(
          fc.asyncProperty(
            valueFor(tool.inputSchema as Parameters<typeof valueFor>[0], { hostile: true, known }),
            async (args) => {
              const problem = await judged(tool.name, args);
              if (problem) unacceptable.push(problem);
              return problem === null;
            },
          ),
          { seed: SEED, numRuns: RUNS, endOnFailure: true },
        )
        .catch((error: unknown) => {
          throw new Error(`${tool.name}: ${unacceptable.join("\n")}`, { cause: error });
        });
    }
    expect(unacceptable).toEqual([]);
    expect(tally.calls).toBeGreaterThanOrEqual(tools.length * RUNS);
    expect(logged.filter((l) => l.includes("unhandled error"))).toEqual([]);
  }, 300_000);
});

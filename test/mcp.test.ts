import { readAllTensors } from "@memstore/formats";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { stripMarks } from "@memstore/watermark";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kvSnapshot } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { MEMSTORE_BIN } from "./support/processes.ts";

/**
 * Agents over MCP, with the official client SDK: the same tools over streamable HTTP (`POST /mcp`,
 * bearer API key) and over stdio (`memstore mcp --vault`), bounded by the key's scopes and vault,
 * results carrying their provenance, and a payload link that downloads the organisation's copy.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let sub: Awaited<ReturnType<typeof bed.subscriber>>;
let readWrite: string;
let readOnly: string;
const clients: Client[] = [];
const FACT = "Container cranes stop loading when the wind passes 20 metres per second.";

beforeAll(async () => {
  bed = await openHttpTestbed();
  const { listing } = await bed.listedCube("crane-limits", `# Cranes\n\n${FACT}\n`);
  sub = await bed.subscriber("Quay Ops", listing.id);
  const key = async (scopes: string[]) =>
    (
      await bed.api("POST", "/api/v1/keys", sub.key, {
        name: scopes.join("+"),
        scopes,
        vault_id: sub.vault.id,
      })
    ).body.key as string;
  readWrite = await key(["vault:read", "vault:write"]);
  readOnly = await key(["vault:read"]);
  await bed.t.runner.idle();
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await bed?.close();
});

async function overHttp(key: string): Promise<Client> {
  const client = new Client({ name: "memstore-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/mcp", bed.server.url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
// Tool results are JSON whose fields the assertions below read and check one by one.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const data = (result: CallToolResult) => result.structuredContent as Record<string, any>;

describe("MCP over streamable HTTP", () => {
  it("lists the nine tools with input and output schemas and honest annotations", async () => {
    const { tools } = await (await overHttp(readWrite)).listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        "add_memory",
        "archive_memory",
        "get_context",
        "get_memory",
        "get_payload_link",
        "list_installs",
        "memory_history",
        "search_memory",
        "update_memory",
      ].sort(),
    );
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe("object");
      expect(tool.outputSchema?.type, tool.name).toBe("object");
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.search_memory!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.get_context!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.archive_memory!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it("searches the key's vault, each installed result naming its cube, version and publisher", async () => {
    const client = await overHttp(readOnly);
    const result = await call(client, "search_memory", {
      query: "wind limit for container cranes",
      top_k: 3,
    });
    expect(result.isError).toBeFalsy();
    const [top] = data(result).results;
    expect(stripMarks(top.text)).toContain(FACT);
    expect(top).toMatchObject({
      source: "install",
      cube: { slug: "crane-limits", version: "1.0.0", publisher: "harbour-experts" },
    });
    // The text content says the same as the structured content.
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(data(result));
  });

  it("writes, reads, updates, traces and archives the vault's own memories", async () => {
    const client = await overHttp(readWrite);
    const added = data(
      await call(client, "add_memory", { text: "Berth 3 fenders were replaced in May.", tags: ["berths"] }),
    );
    const id = added.memory.id as string;
    expect(data(await call(client, "get_memory", { memory_id: id })).memory.text).toBe(
      "Berth 3 fenders were replaced in May.",
    );
    const inMay = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await call(client, "update_memory", { memory_id: id, text: "Berth 3 fenders were replaced in June." });
    // As the vault read before the edit: the May text.
    const then = data(
      await call(client, "search_memory", { query: "berth 3 fenders", mode: "keyword", as_of: inMay }),
    );
    expect(then.results.map((r: { text: string }) => r.text)).toContain(
      "Berth 3 fenders were replaced in May.",
    );
    expect(then.results.map((r: { text: string }) => r.text)).not.toContain(
      "Berth 3 fenders were replaced in June.",
    );
    const history = data(await call(client, "memory_history", { memory_id: id })).versions;
    expect(history.map((v: { text: string }) => v.text)).toEqual([
      "Berth 3 fenders were replaced in May.",
      "Berth 3 fenders were replaced in June.",
    ]);
    expect(data(await call(client, "archive_memory", { memory_id: id })).memory.state).toBe("archived");
    const installs = data(await call(client, "list_installs")).installs;
    expect(installs).toEqual([expect.objectContaining({ id: sub.installId })]);
    // Plaintext is read through search, not downloaded: no link is made for it.
    const noLink = await call(client, "get_payload_link", { install_id: sub.installId });
    expect(noLink.isError).toBe(true);
    expect((noLink.content[0] as { text: string }).text).toMatch(
      /^conflict: a plaintext install has no binary payload/,
    );
  });

  it("refuses what the key may not do: a write without vault:write, another vault, no key at all", async () => {
    const client = await overHttp(readOnly);
    const refused = await call(client, "add_memory", { text: "should not be written" });
    expect(refused.isError).toBe(true);
    expect((refused.content[0] as { text: string }).text).toMatch(/^forbidden: /);
    const elsewhere = (await bed.api("POST", "/api/v1/vaults", sub.key, { name: "other" })).body.id as string;
    const hidden = await call(client, "search_memory", { vault_id: elsewhere, query: "cranes" });
    expect(hidden.isError).toBe(true);
    expect((hidden.content[0] as { text: string }).text).toMatch(/^not_found: /);
    const anonymous = await fetch(`${bed.server.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("hands out a short-lived link that downloads the organisation's fingerprinted copy of a payload", async () => {
    await bed.registerTinyModel();
    const { cube } = await bed.publishedBinary("crane-kv", "activation", await kvSnapshot());
    const listing = await bed.freeListing(cube.id);
    const kv = await bed.subscriber("Quay Models", listing.id);
    const agent = (
      await bed.api("POST", "/api/v1/keys", kv.key, {
        name: "agent",
        scopes: ["vault:read"],
        vault_id: kv.vault.id,
      })
    ).body.key as string;
    const link = data(await call(await overHttp(agent), "get_payload_link", { install_id: kv.installId }));
    expect(Date.parse(link.expires_at) - Date.now()).toBeLessThanOrEqual(300_000);
    const download = await fetch(link.url);
    expect(download.status).toBe(200);
    const { metadata } = await readAllTensors([Buffer.from(await download.arrayBuffer())]);
    expect(JSON.parse(metadata["memstore.license"]!).licensee.name).toBe("Quay Models");
    // The route MCP's links used before redeems the same link.
    const again = await fetch(link.url.replace("/api/v1/blob-links/", "/api/v1/payload-links/"));
    expect(again.status).toBe(200);
    await again.arrayBuffer();
    // Altered, it is no link of ours.
    const forged = `${link.url.slice(0, -4)}${link.url.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    expect((await fetch(forged)).status).toBe(404);
    // Revoking the key ends its links.
    const keys = (await bed.api("GET", "/api/v1/keys", kv.key)).body.items as Array<{
      id: string;
      name: string;
    }>;
    await bed.api("DELETE", `/api/v1/keys/${keys.find((k) => k.name === "agent")!.id}`, kv.key);
    expect((await fetch(link.url)).status).toBe(401);
  });
});

describe("MCP over stdio", () => {
  it("serves the same tools from `memstore mcp --vault`, acting as the key", async () => {
    const client = new Client({ name: "memstore-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [MEMSTORE_BIN, "mcp", "--vault", sub.vault.id],
        env: {
          ...(process.env as Record<string, string>),
          MEMSTORE_URL: bed.server.url,
          MEMSTORE_API_KEY: readOnly,
        },
        stderr: "pipe",
      }),
    );
    clients.push(client);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(9);
    const found = await call(client, "search_memory", { query: "container cranes wind" });
    expect(stripMarks(data(found).results[0].text)).toContain(FACT);
    const context = await call(client, "get_context", { query: "container cranes wind", max_tokens: 200 });
    expect(stripMarks(data(context).context)).toContain(FACT);
    expect(data(context).citations[0]).toMatchObject({
      n: 1,
      source: "install",
      cube: { slug: "crane-limits" },
    });
    const refused = await call(client, "add_memory", { text: "not with a read-only key" });
    expect(refused.isError).toBe(true);
  });
});

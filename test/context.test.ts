import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createCube } from "@memstore/api/catalog";
import { BpeTokenizer } from "@memstore/inference";
import { queryRows, sql } from "@memstore/db";
import { stripMarks } from "@memstore/watermark";
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kvSnapshot, loraPackWithReadme, TINY_TOKENIZER } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { runMemstore } from "./support/processes.ts";

/**
 * Context for agents (`POST …/context`): a block an agent pastes as it is — within its token budget
 * by a real tokenizer, near-duplicates gone, grouped and cited — the installed modules that fit the
 * query, and the agent's feedback on what it used.
 */

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

// Ten sections, each about its own thing, ~50 words each.
const TOPICS = [
  "anchor",
  "ballast",
  "bollard",
  "capstan",
  "davit",
  "fender",
  "gangway",
  "hawser",
  "mooring",
  "winch",
];
const section = (t: string) =>
  `## The ${t}\n\nThe ${t} is inspected every morning by the ${t} crew before any vessel moves. ` +
  `A worn ${t} is logged, tagged and replaced within the week; the harbour master signs the ${t} log ` +
  `and keeps it for seven years, as the port authority requires of every ${t} on the quay.\n`;
const PACK = TOPICS.map(section).join("\n");
const MEMORY = `Our own note: ${section("mooring").split("\n\n")[1]!.trim()} We also photograph it.`;

const PRICING_README = `# French income tax adapter

A LoRA adapter fine-tuned on French income tax law: the rate of tax on income, the brackets,
and the VAT rate set by law. Use it for questions about tax in France.`;
const PARIS_PROMPT = "The capital of France is Paris. The river Seine flows through Paris.";

type Context = {
  id: string;
  context: string;
  tokens: number;
  citations: Array<{
    n: number;
    source: "install" | "memory";
    install_id?: string;
    cube?: { slug: string; version: string; publisher: string };
    section?: string;
    memory_id?: string;
  }>;
  modules: Array<{
    install_id: string;
    type: string;
    base_model: string;
    relevance: number;
    link: { url: string; expires_at: string };
  }>;
  excluded: Array<{ install_id: string; code: string }>;
};

let key: string;
let vaultId: string;
let rulesInstall: string;
let kvInstall: string;
let loraInstall: string;
let memoryId: string;
let rulesListing: string;
let rulesCube: string;

const context = (body: Record<string, unknown>, as = key, vault = vaultId) =>
  bed.api("POST", `/api/v1/vaults/${vault}/context`, as, body) as Promise<{ status: number; body: Context }>;

async function contextOk(body: Record<string, unknown>) {
  const answer = await context(body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

beforeAll(async () => {
  bed = await openHttpTestbed();
  // The tiny model and its tokenizer: a snapshot's prompt is read back through it.
  const modelId = await bed.registerTinyModel();
  const put = await fetch(`${bed.server.url}/api/v1/base-models/${modelId}/tokenizer`, {
    method: "PUT",
    headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/json" },
    body: new Uint8Array(TINY_TOKENIZER),
  });
  expect(put.status).toBe(200);

  const { cube, listing } = await bed.listedCube("harbour-rules", PACK);
  rulesListing = listing.id;
  rulesCube = cube.id;
  // The same pack republished under another name: every passage twice.
  const { listing: mirror } = await bed.listedCube("harbour-rules-mirror", PACK);

  const ids = new BpeTokenizer(JSON.parse(TINY_TOKENIZER.toString())).encode(PARIS_PROMPT);
  const kv = await bed.publishedBinary("paris-kv", "activation", await kvSnapshot({ ids }));
  expect(kv.version.status).toBe("ready");
  const lora = await createCube(bed.t.ctx, bed.publisher, {
    slug: "tax-adapter",
    type: "parametric",
    title: "Tax adapter",
    description: "",
    tags: [],
  });
  await bed.publishVersion(lora.id, "1.0.0", await loraPackWithReadme(PRICING_README), {
    contentType: "application/x-tar",
  });
  const kvListing = await bed.freeListing(kv.cube.id);
  const loraListing = await bed.freeListing(lora.id);

  const sub = await bed.subscriber("Quay Ops", listing.id);
  key = sub.key;
  vaultId = sub.vault.id;
  rulesInstall = sub.installId;
  const install = async (listingId: string) => {
    await bed.apiOk(key, "POST", `/api/v1/store/listings/${listingId}/acquire`);
    return (await bed.apiOk(key, "POST", `/api/v1/vaults/${vaultId}/installs`, { listing_id: listingId }))
      .id as string;
  };
  await install(mirror.id);
  kvInstall = await install(kvListing.id);
  loraInstall = await install(loraListing.id);
  memoryId = (await bed.apiOk(key, "POST", `/api/v1/vaults/${vaultId}/memories`, { text: MEMORY })).id;
  await bed.t.runner.idle();
}, 180_000);

afterAll(async () => {
  await bed?.close();
});

describe("the context block", () => {
  it("stays within max_tokens in the named tokenizer, counting marks and headings, for every budget", async () => {
    for (const [tokenizer, count] of [
      ["o200k_base", o200k],
      ["cl100k_base", cl100k],
    ] as const) {
      for (const max_tokens of [50, 73, 120, 333, 900, 4000]) {
        const got = await contextOk({
          query: "who inspects the mooring and the winch",
          max_tokens,
          tokenizer,
        });
        expect(got.tokens).toBe(count(got.context, { disallowedSpecial: new Set() }));
        expect(got.tokens).toBeLessThanOrEqual(max_tokens);
        expect(got.tokens).toBeGreaterThan(max_tokens >= 900 ? 400 : 10);
      }
    }
  });

  it("cites every passage: marks in reading order, grouped under their cube and version", async () => {
    const got = await contextOk({ query: "mooring inspection log", max_tokens: 2000 });
    const marks = [...got.context.matchAll(/^\[(\d+)\] /gm)].map((m) => Number(m[1]));
    expect(marks).toEqual(got.citations.map((c) => c.n));
    expect(marks).toEqual(marks.map((_, i) => i + 1));
    const fromPack = got.citations.find((c) => c.source === "install")!;
    expect(fromPack).toMatchObject({
      install_id: expect.any(String),
      cube: { slug: expect.stringMatching(/^harbour-rules/), version: "1.0.0", publisher: "harbour-experts" },
      section: expect.stringMatching(/^The /),
    });
    expect(got.context).toMatch(/^## harbour-rules(-mirror)? 1\.0\.0 \(harbour-experts\)$/m);
    // Each group's passages follow its heading: no heading appears twice.
    const headings = [...got.context.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(new Set(headings).size).toBe(headings.length);
    // The first passage answers the query; the text served is the organisation's marked copy.
    expect(stripMarks(got.context.split("\n\n[1] ")[1]!)).toMatch(/mooring/);
  });

  it("drops near-duplicates: a passage republished in another cube, an own memory repeating one", async () => {
    const got = await contextOk({ query: "mooring crew inspection every morning", max_tokens: 4000 });
    const passages = got.context
      .split(/\n\n(?=\[\d+\] )/)
      .filter((p) => /^\[\d+\] /.test(p))
      .map((p) => stripMarks(p.replace(/^\[\d+\] /, "")).replace(/\n\n## .*$/s, ""));
    const distinct = new Set(passages.map((p) => p.replace(/^## .*\n\n/, "")));
    expect(distinct.size).toBe(passages.length);
    // Ten sections, each once, from one cube or the other; the memory repeats one and is left out.
    expect(passages.filter((p) => /The mooring is inspected/.test(p))).toHaveLength(1);
    expect(got.citations.some((c) => c.memory_id === memoryId)).toBe(false);
    const search = await bed.apiOk(key, "POST", `/api/v1/vaults/${vaultId}/search`, {
      query: "mooring crew inspection every morning",
      top_k: 3,
    });
    // Search, by contrast, returns the repeats as they are.
    expect(
      search.results.filter((r: { text: string }) => /mooring is inspected/.test(stripMarks(r.text))),
    ).toHaveLength(3);
  });

  it("takes one agent call per listing the vault holds, as a search does", async () => {
    const calls = async () => {
      const [row] = await queryRows<{ n: number }>(
        bed.t.ctx.db,
        sql`select coalesce(sum(calls), 0)::int as n from usage_daily where install_id = ${rulesInstall}`,
      );
      return row!.n;
    };
    const before = await calls();
    await contextOk({ query: "anchor", max_tokens: 200 });
    expect(await calls()).toBe(before + 1);
  });
});

describe("module routing", () => {
  it("names the KV snapshot whose prompt the query is about, with a link that downloads it", async () => {
    const got = await contextOk({ query: "Which river flows through Paris?", max_tokens: 200 });
    expect(got.modules.map((m) => m.install_id)).toEqual([kvInstall]);
    const [module] = got.modules;
    expect(module).toMatchObject({ type: "activation", base_model: "memstore/tiny-llama" });
    expect(module!.relevance).toBeGreaterThan(0.3);
    expect(Date.parse(module!.link.expires_at)).toBeGreaterThan(Date.now());
    const download = await fetch(module!.link.url);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it("describes a module ingested before routing existed on first use, however many contexts ask at once", async () => {
    const version = sql`(select version_id from installs where id = ${kvInstall})`;
    const kept = await queryRows<Record<string, unknown>>(
      bed.t.ctx.db,
      sql`select version_id, n, text, embedding::text as embedding, embedding_dim from module_passages where version_id = ${version}`,
    );
    await bed.t.ctx.db.execute(sql`delete from module_passages where version_id = ${version}`);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => context({ query: "paris-kv snapshot", max_tokens: 100 })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    for (const a of answers) expect(a.body.modules.map((m) => m.install_id)).toContain(kvInstall);
    // Described from its manifest now (its prompt is read at ingest only): its title, once.
    const [row] = await queryRows<{ n: number }>(
      bed.t.ctx.db,
      sql`select count(*)::int as n from module_passages where version_id = ${version}`,
    );
    expect(row!.n).toBe(1);
    // The passages ingest wrote come back, for the tests after this one.
    await bed.t.ctx.db.execute(sql`delete from module_passages where version_id = ${version}`);
    await bed.t.ctx.db.execute(sql`insert into module_passages (version_id, n, text, embedding, embedding_dim)
      select version_id, n, text, embedding::vector, embedding_dim
      from jsonb_to_recordset(${JSON.stringify(kept)}::jsonb)
        as r(version_id text, n int, text text, embedding text, embedding_dim int)`);
  });

  it("names the LoRA pack whose README documents the query's subject", async () => {
    const got = await contextOk({ query: "what is the income tax rate in France", max_tokens: 200 });
    expect(got.modules.map((m) => m.install_id)).toContain(loraInstall);
    expect(got.modules.find((m) => m.install_id === loraInstall)).toMatchObject({ type: "parametric" });
  });

  it("names none when no module fits the query, or none loads on the agent's model", async () => {
    expect((await contextOk({ query: "knitting patterns for wool socks", max_tokens: 200 })).modules).toEqual(
      [],
    );
    expect((await contextOk({ query: "mooring inspection", max_tokens: 200 })).modules).toEqual([]);
    const otherModel = await contextOk({
      query: "Which river flows through Paris?",
      max_tokens: 200,
      model: "meta-llama/Llama-3.2-1B",
    });
    expect(otherModel.modules).toEqual([]);
    const sameModel = await contextOk({
      query: "Which river flows through Paris?",
      max_tokens: 200,
      model: "memstore/tiny-llama",
    });
    expect(sameModel.modules).toHaveLength(1);
    // A filter on types leaves the passages out and routes only modules.
    const onlyModules = await contextOk({
      query: "Which river flows through Paris?",
      max_tokens: 200,
      filter: { types: ["activation"] },
    });
    expect(onlyModules.citations.filter((c) => c.source === "install")).toEqual([]);
    expect(onlyModules.modules).toHaveLength(1);
  });
});

describe("feedback", () => {
  it("records which passages were used, once, for the vault's heat and the publisher's section counts", async () => {
    const got = await contextOk({
      query: "the gangway log",
      max_tokens: 400,
      diversity: 0,
      filter: { cube_ids: [rulesCube] },
    });
    const used = got.citations.filter((c) => c.source === "install").slice(0, 2);
    expect(used.length).toBe(2);
    const path = `/api/v1/vaults/${vaultId}/context/${got.id}/feedback`;
    const sent = await bed.api("POST", path, key, { used: used.map((c) => c.n), helpful: true });
    expect(sent.status).toBe(204);
    const again = await bed.api("POST", path, key, { used: [1] });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("feedback_given");

    // The publisher sees counts per section of its own listing, never a query.
    const sections = await bed.apiOk(bed.publisherKey, "GET", `/api/v1/listings/${rulesListing}/sections`);
    for (const c of used) {
      expect(sections.items).toContainEqual(
        expect.objectContaining({ section: c.section, used: 1, helpful: 1, unhelpful: 0 }),
      );
    }
    expect(JSON.stringify(sections)).not.toContain("gangway log");
    await bed.t.ctx.heat.flush();
    const heat = await bed.apiOk(key, "GET", `/api/v1/vaults/${vaultId}/heat`);
    expect(heat.installs.some((h: { section: string }) => h.section === used[0]!.section)).toBe(true);
  });

  it("refuses marks the context has not, and other organisations' contexts", async () => {
    const got = await contextOk({ query: "the davit", max_tokens: 100 });
    const path = `/api/v1/vaults/${vaultId}/context/${got.id}/feedback`;
    const beyond = await bed.api("POST", path, key, { used: [got.citations.length + 1] });
    expect(beyond.status).toBe(400);
    expect(beyond.body.code).toBe("invalid_input");
    const stranger = await bed.organization("Strangers", "owner@strangers.example.com");
    expect((await bed.api("POST", path, stranger, { used: [1] })).status).toBe(404);
    expect((await bed.api("GET", `/api/v1/listings/${rulesListing}/sections`, stranger)).status).toBe(404);
    expect(
      (await bed.api("POST", `/api/v1/vaults/${vaultId}/context/ctx_nothing/feedback`, key, { used: [] }))
        .status,
    ).toBe(404);
    // Nothing was recorded by the refusals: the context still takes its feedback.
    expect((await bed.api("POST", path, key, { used: [1], helpful: false })).status).toBe(204);
  });
});

describe("license terms", () => {
  it("holds a listing's share cap across contexts and says which install it cut", async () => {
    const capped = await bed.listedCube("capped-rules", PACK.replaceAll("harbour", "river"), {
      terms: { max_share_per_day: 0.3 },
    });
    const holder = await bed.subscriber("Cap Holders", capped.listing.id);
    const [version] = await queryRows<{ chunks: number }>(
      bed.t.ctx.db,
      sql`select chunk_count as chunks from cube_versions where cube_id = ${capped.cube.id}`,
    );
    const cap = Math.ceil(0.3 * version!.chunks);
    const served = new Set<string>();
    let cut = 0;
    for (const topic of TOPICS) {
      const got = await context({ query: `the ${topic} log`, max_tokens: 1500 }, holder.key, holder.vault.id);
      expect(got.status).toBe(200);
      for (const c of got.body.citations) if (c.section) served.add(c.section);
      if (got.body.excluded.some((e) => e.code === "share_cap" && e.install_id === holder.installId)) cut++;
    }
    expect(served.size).toBe(cap);
    expect(cut).toBeGreaterThan(0);
    const [receipts] = await queryRows<{ n: number }>(
      bed.t.ctx.db,
      sql`select count(*)::int as n from share_receipts where listing_id = ${capped.listing.id}`,
    );
    expect(receipts!.n).toBe(cap);
  });

  it("leaves out installs whose terms license other purposes, and says so", async () => {
    const licensed = await bed.listedCube("audit-only-rules", PACK.replaceAll("harbour", "canal"), {
      terms: { purposes: ["audit"] },
    });
    const holder = await bed.subscriber("Purpose Holders", licensed.listing.id);
    const response = await fetch(`${bed.server.url}/api/v1/vaults/${holder.vault.id}/context`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${holder.key}`,
        "content-type": "application/json",
        "memstore-purpose": "marketing",
      },
      body: JSON.stringify({ query: "the anchor", max_tokens: 300 }),
    });
    const got = (await response.json()) as Context;
    expect(got.citations).toEqual([]);
    expect(got.excluded).toEqual([{ install_id: holder.installId, code: "purpose_not_licensed" }]);
  });
});

describe("the SDK and the CLI", () => {
  it("client.context answers the same block, and client.contextFeedback records use", async () => {
    const client = bed.client(key);
    const got = await client.context(vaultId, {
      query: "the capstan crew",
      max_tokens: 300,
      filter: { cube_ids: [rulesCube] },
    });
    expect(got.tokens).toBe(o200k(got.context));
    expect(stripMarks(got.context)).toMatch(/\[1\] The capstan\n\nThe capstan is inspected/);
    await client.contextFeedback(vaultId, got.id, { used: [1], helpful: true });
    const sections = await bed.client(bed.publisherKey).listingSections(rulesListing);
    expect(sections.items).toContainEqual(
      expect.objectContaining({ section: "The capstan", used: 1, helpful: 1 }),
    );
    await expect(client.contextFeedback(vaultId, got.id, { used: [1] })).rejects.toMatchObject({
      code: "feedback_given",
    });
  });

  it("memstore context prints the block on stdout and its sources on stderr", async () => {
    const cli = await runMemstore(
      ["context", vaultId, "the", "davit", "crew", "--max-tokens", "120", "--url", bed.server.url],
      { MEMSTORE_API_KEY: key },
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(stripMarks(cli.stdout)).toMatch(
      /^## harbour-rules(-mirror)? 1\.0\.0 \(harbour-experts\)\n\n\[1\] The davit/,
    );
    expect(o200k(cli.stdout.trimEnd())).toBeLessThanOrEqual(120);
    expect(cli.stderr).toMatch(/ of 120 tokens \(o200k_base\), context ctx_/);
    expect(cli.stderr).toMatch(/\[1\] harbour-experts\/harbour-rules(-mirror)?@1\.0\.0 — The davit/);
    const refused = await runMemstore(
      ["context", vaultId, "x", "--max-tokens", "20", "--url", bed.server.url],
      {
        MEMSTORE_API_KEY: key,
      },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/50 to 32000/);
  });
});

describe("bounds", () => {
  it.each([
    [{ query: "x", max_tokens: 49 }],
    [{ query: "x", max_tokens: 32_001 }],
    [{ query: "x", max_tokens: "100" }],
    [{ query: "x", max_tokens: 1e308 }],
    [{ query: "x", max_tokens: 100.5 }],
    [{ query: "x", max_tokens: 100, diversity: 1.5 }],
    [{ query: "x", max_tokens: 100, diversity: -0.1 }],
    [{ query: "x", max_tokens: 100, tokenizer: "p50k_base" }],
    [{ query: "", max_tokens: 100 }],
    [{ query: "x", max_tokens: 100, model: "a\nb" }],
    [{ query: "x", max_tokens: 100, top_k: 5 }],
    [{ query: "x" }],
  ])("refuses %j with 400 invalid_input", async (body) => {
    const answer = await context(body);
    expect(answer.status).toBe(400);
    expect((answer.body as unknown as { code: string }).code).toBe("invalid_input");
  });

  it("bounds feedback: marks are positive integers, at most 200 of them", async () => {
    const got = await contextOk({ query: "the fender", max_tokens: 100 });
    const path = `/api/v1/vaults/${vaultId}/context/${got.id}/feedback`;
    for (const body of [
      { used: [0] },
      { used: [1.5] },
      { used: "1" },
      { used: Array(201).fill(1) },
      { used: [1], helpful: "yes" },
    ]) {
      const answer = await bed.api("POST", path, key, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe("get_context over MCP", () => {
  it("answers the same context with structured content", async () => {
    const client = new Client({ name: "memstore-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("/mcp", bed.server.url), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    try {
      const result = (await client.callTool({
        name: "get_context",
        arguments: {
          vault_id: vaultId,
          query: "Which river flows through Paris? and the anchor",
          max_tokens: 300,
        },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const got = result.structuredContent as Context;
      expect(got.tokens).toBeLessThanOrEqual(300);
      expect(got.tokens).toBe(o200k(got.context));
      expect(got.citations.length).toBeGreaterThan(0);
      expect(got.modules.map((m) => m.install_id)).toContain(kvInstall);
      const refused = (await client.callTool({
        name: "get_context",
        arguments: { vault_id: vaultId, query: "x", max_tokens: 10 },
      })) as CallToolResult;
      expect(refused.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

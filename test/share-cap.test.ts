import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createCube, submitNewVersion } from "@memstore/api/catalog";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/listings";
import { searchVault } from "@memstore/api/search";
import { acquireListing } from "@memstore/api/store";
import { sweepShareReceipts } from "@memstore/api/usage";
import { createVault, installListing } from "@memstore/api/vaults";
import { queryRows, sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext } from "./support/context.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Share caps (`terms.max_share_per_day`): what one organisation may receive of a listing in any 24
 * hours, across its vaults, keys, search, MCP and export — exact however many calls race.
 */

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

// Forty sections, each about its own thing: a search for one word finds its section first.
const TOPICS = [
  "anchor",
  "ballast",
  "bollard",
  "bosun",
  "bulkhead",
  "capstan",
  "cleat",
  "compass",
  "davit",
  "dinghy",
  "fathom",
  "fender",
  "gangway",
  "gunwale",
  "halyard",
  "hawser",
  "helm",
  "hull",
  "jetty",
  "keel",
  "lanyard",
  "lifebuoy",
  "mast",
  "mooring",
  "oar",
  "pennant",
  "pilot",
  "porthole",
  "quay",
  "rudder",
  "sextant",
  "shackle",
  "spinnaker",
  "stern",
  "tiller",
  "transom",
  "trawler",
  "winch",
  "windlass",
  "yardarm",
];
const PACK = TOPICS.map(
  (t, i) =>
    `## The ${t}\n\nSection ${i + 1} covers the ${t}: how the ${t} is inspected, kept and logged by the ${t} crew.\n`,
).join("\n");
const SHARE = 0.25;

type Found = {
  status: number;
  body: {
    results: Array<{ id: string; source: string }>;
    excluded: Array<{ install_id: string; code: string }>;
  };
};

let listingId: string;
let chunks: number;
let cap: number;

beforeAll(async () => {
  bed = await openHttpTestbed();
  const { cube, listing } = await bed.listedCube("deck-manual", PACK, {
    terms: { max_share_per_day: SHARE, export: true },
  });
  listingId = listing.id;
  const [version] = await queryRows<{ chunks: number }>(
    bed.t.ctx.db,
    sql`select chunk_count as chunks from cube_versions where cube_id = ${cube.id}`,
  );
  chunks = version!.chunks;
  cap = Math.ceil(SHARE * chunks);
}, 120_000);

afterAll(async () => {
  await bed?.close();
});

/** An organisation holding the listing, with `vaults` vaults that each install it. */
async function holder(name: string, vaults: number) {
  const key = await bed.organization(name, `owner@${name.toLowerCase().replace(/\W+/g, "-")}.example.com`);
  await bed.apiOk(key, "POST", `/api/v1/store/listings/${listingId}/acquire`);
  const made: Array<{ vaultId: string; installId: string }> = [];
  for (let v = 0; v < vaults; v++) {
    const vault = await bed.apiOk(key, "POST", "/api/v1/vaults", { name: `deck-${v}` });
    const install = await bed.apiOk(key, "POST", `/api/v1/vaults/${vault.id}/installs`, {
      listing_id: listingId,
    });
    made.push({ vaultId: vault.id as string, installId: install.id as string });
  }
  return { key, vaults: made };
}

const search = (key: string, vaultId: string, query: string, topK = 5) =>
  bed.api("POST", `/api/v1/vaults/${vaultId}/search`, key, { query, top_k: topK }) as Promise<Found>;

const installedIds = (found: Found) =>
  found.body.results.filter((r) => r.source === "install").map((r) => r.id);

/** The receipts of the organisation that made `installId`, and that organisation. */
async function receipts(installId: string) {
  const [row] = await queryRows<{ org_id: string; n: number }>(
    bed.t.ctx.db,
    sql`select i.org_id, (select count(*)::int from share_receipts r
                          where r.org_id = i.org_id and r.listing_id = ${listingId}) as n
        from installs i where i.id = ${installId}`,
  );
  return { orgId: row!.org_id, count: row!.n };
}

describe("share cap", () => {
  it("holds exactly at 200 concurrent searches across 4 vaults and 3 keys of one organisation", async () => {
    expect(chunks).toBeGreaterThanOrEqual(TOPICS.length);
    const fleet = await holder("Fleet Share", 4);
    const agentKeys = [];
    for (const name of ["agent-a", "agent-b"]) {
      const made = await bed.apiOk(fleet.key, "POST", "/api/v1/keys", { name, scopes: ["vault:read"] });
      agentKeys.push(made.key as string);
    }
    const keys = [fleet.key, ...agentKeys];
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        search(keys[i % 3]!, fleet.vaults[i % 4]!.vaultId, `the ${TOPICS[i % TOPICS.length]} crew`),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const received = new Set(answers.flatMap(installedIds));
    // Forty sections were asked for; the organisation received exactly its day's share.
    expect(received.size).toBe(cap);
    expect((await receipts(fleet.vaults[0]!.installId)).count).toBe(cap);
    const cut = answers.filter((a) => a.body.excluded.some((e) => e.code === "share_cap"));
    expect(cut.length).toBeGreaterThan(0);
    for (const a of cut)
      expect(a.body.excluded).toContainEqual({
        install_id: expect.stringMatching(new RegExp(fleet.vaults.map((v) => v.installId).join("|"))),
        code: "share_cap",
      });

    // What it received is still served, from any vault, with any key: only new chunks are left out.
    const again = await search(agentKeys[1]!, fleet.vaults[3]!.vaultId, `the ${TOPICS[0]} crew`, 10);
    expect(installedIds(again).length).toBeGreaterThan(0);
    for (const id of installedIds(again)) expect(received.has(id)).toBe(true);
  });

  it("stops an exfiltration loop at the cap while a second organisation is unaffected", async () => {
    const thief = await holder("Thief Share", 1);
    const honest = await holder("Honest Share", 1);
    const pulled = new Set<string>();
    // Ask for every section, round after round, until nothing new comes back.
    for (let round = 0; round < 3; round++)
      for (const topic of TOPICS) {
        const found = await search(thief.key, thief.vaults[0]!.vaultId, `${topic} inspected`, 10);
        expect(found.status).toBe(200);
        for (const id of installedIds(found)) pulled.add(id);
      }
    expect(pulled.size).toBe(cap);
    const last = await search(thief.key, thief.vaults[0]!.vaultId, `${TOPICS.at(-1)} logged`, 10);
    expect(last.body.excluded).toEqual([{ install_id: thief.vaults[0]!.installId, code: "share_cap" }]);

    // The other organisation's window is its own: it receives sections the thief could not.
    const fresh = await search(honest.key, honest.vaults[0]!.vaultId, `${TOPICS.at(-1)} logged`, 3);
    expect(installedIds(fresh).length).toBe(3);
    expect(fresh.body.excluded).toEqual([]);

    // A day later the window has moved on: receipts older than 24 hours count for nothing. (Time
    // passes by moving every instant the window recorded 25 hours back.)
    const { orgId } = await receipts(thief.vaults[0]!.installId);
    await queryRows(
      bed.t.ctx.db,
      sql`with r as (update share_receipts set received_at = received_at - interval '25 hours'
                       where org_id = ${orgId} returning 1)
          update share_windows set checked_at = checked_at - interval '25 hours' where org_id = ${orgId}`,
    );
    const nextDay = await search(thief.key, thief.vaults[0]!.vaultId, `${TOPICS.at(-1)} logged`, 3);
    expect(installedIds(nextDay).length).toBe(3);
    expect(nextDay.body.excluded).toEqual([]);
    // The sweep deletes what the window has let go of and keeps the day's three.
    expect(await sweepShareReceipts(bed.t.ctx.db)).toBeGreaterThanOrEqual(cap - 3);
    expect((await receipts(thief.vaults[0]!.installId)).count).toBe(3);
  });

  it("caps an export, which says what it left out, and what search then serves", async () => {
    const buyer = await holder("Export Share", 1);
    const { vaultId, installId } = buyer.vaults[0]!;
    const response = await fetch(`${bed.server.url}/api/v1/vaults/${vaultId}/export?format=jsonl`, {
      headers: { authorization: `Bearer ${buyer.key}` },
    });
    expect(response.status).toBe(200);
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; chunk_id?: string });
    const exported = lines.filter((l) => l.kind === "installed").map((l) => l.chunk_id!);
    expect(exported.length).toBe(cap);
    expect(lines.at(-1)).toEqual({
      kind: "excluded",
      install_id: installId,
      code: "share_cap",
      served: cap,
      chunks,
    });
    // The exported chunks are the day's share: search serves them and nothing new.
    const found = await search(buyer.key, vaultId, "the rudder and the tiller", 10);
    for (const id of installedIds(found)) expect(exported).toContain(id);
    expect(found.body.excluded).toEqual([{ install_id: installId, code: "share_cap" }]);
  });

  it("says so in MCP's search_memory answers", async () => {
    const agent = await holder("Mcp Share", 1);
    const client = new Client({ name: "memstore-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("/mcp", bed.server.url), {
        requestInit: { headers: { authorization: `Bearer ${agent.key}` } },
      }),
    );
    try {
      const seen = new Set<string>();
      let excluded: unknown[] = [];
      for (const topic of TOPICS.slice(0, 20)) {
        const result = await client.callTool({
          name: "search_memory",
          arguments: { vault_id: agent.vaults[0]!.vaultId, query: `${topic} crew`, top_k: 5 },
        });
        const content = result.structuredContent as {
          results: Array<{ id: string }>;
          excluded?: unknown[];
        };
        for (const r of content.results) seen.add(r.id);
        excluded = content.excluded ?? [];
      }
      expect(seen.size).toBe(cap);
      expect(excluded).toEqual([{ install_id: agent.vaults[0]!.installId, code: "share_cap" }]);
    } finally {
      await client.close();
    }
  });

  it("takes a share between 0 and 1 in terms, and nothing else", async () => {
    for (const bad of [0, -0.1, 1.01, "0.5", null, 1e-400]) {
      const answer = await bed.api("PATCH", `/api/v1/listings/${listingId}`, bed.publisherKey, {
        terms: { max_share_per_day: bad },
      });
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.body.code).toBe("invalid_input");
    }
    const listing = await bed.apiOk(bed.publisherKey, "GET", `/api/v1/store/listings/${listingId}`);
    expect(listing.terms).toMatchObject({ max_share_per_day: SHARE });
  });
});

describe("share cap on the embedded database", () => {
  it("holds there too (npm start's PGlite runs the same claim function)", async () => {
    const t = await openTestContext("pglite");
    try {
      const made = await createOrganization(t.ctx, {
        name: "Embedded Pub",
        ownerEmail: "pub@embedded.example.com",
      });
      const owner = await authenticateApiKey(t.ctx, made.api_key);
      const cube = await createCube(t.ctx, owner, {
        slug: "embedded-manual",
        type: "plaintext",
        title: "m",
        description: "",
        tags: [],
      });
      await submitNewVersion(t.ctx, owner, cube.id, {
        version: "1.0.0",
        manifest: {},
        payload: PACK,
        contentType: "text/markdown",
      });
      await t.runner.idle();
      const listing = await createListing(t.ctx, owner, {
        cube_id: cube.id,
        visibility: "public",
        pricing: { model: "free" },
        terms: { max_share_per_day: SHARE },
      });
      await publishListing(t.ctx, owner, listing.id);
      const buyerMade = await createOrganization(t.ctx, {
        name: "Embedded Buyer",
        ownerEmail: "b@embedded.example.com",
      });
      const buyer = await authenticateApiKey(t.ctx, buyerMade.api_key);
      await acquireListing(t.ctx, buyer, listing.id);
      const vault = await createVault(t.ctx, buyer, { name: "deck" });
      await installListing(t.ctx, buyer, vault.id, { listing_id: listing.id, version_policy: "latest" });
      const received = new Set<string>();
      let excluded: Array<{ code: string }> = [];
      for (const topic of TOPICS) {
        const found = await searchVault(t.ctx, buyer, vault.id, {
          query: `the ${topic} crew`,
          top_k: 5,
          filter: {},
          mode: "hybrid",
        });
        for (const r of found.results) received.add(r.id);
        excluded = found.excluded;
      }
      const [version] = await queryRows<{ chunks: number }>(
        t.ctx.db,
        sql`select chunk_count as chunks from cube_versions where cube_id = ${cube.id}`,
      );
      expect(received.size).toBe(Math.ceil(SHARE * version!.chunks));
      expect(excluded.map((e) => e.code)).toEqual(["share_cap"]);
    } finally {
      await t.dispose();
    }
  }, 120_000);
});

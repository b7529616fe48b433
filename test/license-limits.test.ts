import { createListing, publishListing } from "@memstore/api/listings";
import { sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stripMarks } from "@memstore/watermark";
import { kvSnapshot } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * `calls_per_day` counts per entitlement (organisation × listing) and UTC day. The probe, with a
 * limit of 50: uninstalling and reinstalling gave 50 more calls, a second vault got its own 50, and
 * 120 concurrent calls on a fresh install let 57 through. License `purposes` serve only calls made
 * for one of them (stated with `MemStore-Purpose` or by the key).
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
  await bed.registerTinyModel();
});

afterAll(async () => {
  await bed?.close();
});

/** An organisation with the listing acquired and installed in a new vault; its key and vault id. */
async function subscriberOf(listingId: string, name: string) {
  const key = await bed.organization(name, `owner@${name.toLowerCase()}.example.com`);
  expect((await bed.api("POST", `/api/v1/store/listings/${listingId}/acquire`, key)).status).toBe(201);
  const vault = await installInNewVault(key, listingId, "first");
  return { key, vault };
}

async function installInNewVault(key: string, listingId: string, name: string) {
  const vault = (await bed.api("POST", "/api/v1/vaults", key, { name })).body.id as string;
  const install = await bed.api("POST", `/api/v1/vaults/${vault}/installs`, key, { listing_id: listingId });
  expect(install.status).toBe(201);
  return { id: vault, installId: install.body.id as string };
}

const search = (key: string, vaultId: string) =>
  bed.api("POST", `/api/v1/vaults/${vaultId}/search`, key, { query: "lighthouse" });

describe("calls_per_day", () => {
  it("answers the 51st call of a 50-a-day license 429 with Retry-After, across two vaults and a reinstall", async () => {
    const { listing } = await bed.listedCube(
      "lighthouses",
      "# Lighthouses\nEach lighthouse has its own flash.\n",
      {
        terms: { calls_per_day: 50 },
      },
    );
    const { key, vault } = await subscriberOf(listing.id, "Keepers");
    for (let i = 0; i < 20; i++) expect((await search(key, vault.id)).status).toBe(200);
    expect(
      (await bed.api("DELETE", `/api/v1/vaults/${vault.id}/installs/${vault.installId}`, key)).status,
    ).toBe(204);
    expect(
      (await bed.api("POST", `/api/v1/vaults/${vault.id}/installs`, key, { listing_id: listing.id })).status,
    ).toBe(201);
    for (let i = 0; i < 15; i++) expect((await search(key, vault.id)).status).toBe(200);
    const second = await installInNewVault(key, listing.id, "second");
    for (let i = 0; i < 15; i++) expect((await search(key, second.id)).status).toBe(200);
    // Fifty calls made across a reinstall and two vaults: the organisation's day is used up everywhere.
    for (const v of [vault.id, second.id]) {
      const refused = await search(key, v);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: "license_rate", listing_id: listing.id, limit: 50 });
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
    }
    // Another organisation's count is its own.
    const other = await subscriberOf(listing.id, "Others");
    expect((await search(other.key, other.vault.id)).status).toBe(200);
  });

  it("lets exactly the limit through when calls race, from many of the organisation's agents", async () => {
    const { listing } = await bed.listedCube("beacons", "# Beacons\nA beacon guides ships home.\n", {
      terms: { calls_per_day: 50 },
    });
    const { key, vault } = await subscriberOf(listing.id, "Racers");
    const agents: string[] = [];
    for (let i = 0; i < 8; i++) {
      const made = await bed.api("POST", "/api/v1/keys", key, {
        name: `agent ${i}`,
        scopes: ["vault:read"],
        vault_id: vault.id,
      });
      agents.push(made.body.key);
    }
    // A slow disk: every write of a usage count takes 50 ms, so calls overlap while they count.
    await bed.t.ctx.db.execute(sql`
      create or replace function slow_write() returns trigger language plpgsql as
        $$ begin perform pg_sleep(0.05); return new; end $$`);
    await bed.t.ctx.db.execute(sql`
      create trigger slow_usage before insert or update on usage_daily
        for each row execute function slow_write()`);
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        search(agents[i % agents.length]!, vault.id).then((r) => r.status),
      ),
    );
    await bed.t.ctx.db.execute(sql`drop trigger slow_usage on usage_daily`);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });

  it("counts payload downloads with searches", async () => {
    const { cube } = await bed.publishedBinary("charts-kv", "activation", await kvSnapshot());
    const listing = await createListing(bed.t.ctx, bed.publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: { calls_per_day: 2 },
    });
    await publishListing(bed.t.ctx, bed.publisher, listing.id);
    const { key, vault } = await subscriberOf(listing.id, "Navigators");
    const download = () =>
      fetch(`${bed.server.url}/api/v1/vaults/${vault.id}/installs/${vault.installId}/payload`, {
        headers: { authorization: `Bearer ${key}` },
      });
    expect((await download()).status).toBe(200);
    expect((await download()).status).toBe(200);
    const refused = await download();
    expect(refused.status).toBe(429);
    expect((await refused.json()).code).toBe("license_rate");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("purposes", () => {
  const asPurpose = (key: string, vaultId: string, purpose?: string) =>
    fetch(`${bed.server.url}/api/v1/vaults/${vaultId}/search`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        ...(purpose !== undefined && { "memstore-purpose": purpose }),
      },
      body: JSON.stringify({ query: "fog signal buoy" }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  it("leaves a listing licensed for other purposes out of search, says so, and does not count its calls", async () => {
    const research = await bed.listedCube("fog-signals", "# Fog\nA fog signal sounds every 30 seconds.\n", {
      terms: { purposes: ["research"], calls_per_day: 1 },
    });
    const open = await bed.listedCube("buoys", "# Buoys\nA red buoy marks the port side.\n");
    const { key, vault } = await subscriberOf(research.listing.id, "Surveyors");
    expect((await bed.api("POST", `/api/v1/store/listings/${open.listing.id}/acquire`, key)).status).toBe(
      201,
    );
    expect(
      (await bed.api("POST", `/api/v1/vaults/${vault.id}/installs`, key, { listing_id: open.listing.id }))
        .status,
    ).toBe(201);
    const texts = (body: { results: Array<{ text: string }> }) =>
      body.results.map((r) => stripMarks(r.text)).join(" ");

    for (const purpose of [undefined, "marketing", "marketing", "marketing"]) {
      const found = await asPurpose(key, vault.id, purpose);
      expect(found.status, String(purpose)).toBe(200);
      expect(texts(found.body)).toContain("red buoy");
      expect(texts(found.body)).not.toContain("fog signal");
      expect(found.body.excluded).toEqual([{ install_id: vault.installId, code: "purpose_not_licensed" }]);
    }
    // Left-out calls were not counted: the one licensed call of the day is still there.
    const licensed = await asPurpose(key, vault.id, "research");
    expect(texts(licensed.body)).toContain("fog signal");
    expect(licensed.body.excluded).toEqual([]);
    expect((await asPurpose(key, vault.id, "research")).status).toBe(429);

    // A key made for research carries its purpose; it states no other, and makes no wider key.
    const made = await bed.api("POST", "/api/v1/keys", key, {
      name: "research agent",
      scopes: ["vault:read", "admin"],
      purposes: ["research"],
    });
    expect(made.status).toBe(201);
    const agent = made.body.key as string;
    expect((await asPurpose(agent, vault.id)).body).toMatchObject({ code: "license_rate" });
    const other = await asPurpose(agent, vault.id, "marketing");
    expect([other.status, other.body.code]).toEqual([403, "forbidden"]);
    for (const purposes of [["marketing"], [], undefined]) {
      const wider = await bed.api("POST", "/api/v1/keys", agent, {
        name: "wider",
        scopes: ["vault:read"],
        purposes,
      });
      expect([wider.status, wider.body.code], JSON.stringify(purposes)).toEqual([403, "forbidden"]);
    }
    const tooLong = await asPurpose(key, vault.id, "x".repeat(101));
    expect([tooLong.status, tooLong.body.code]).toEqual([400, "invalid_input"]);
  });

  it("answers 403 purpose_not_licensed to a payload download made for another purpose", async () => {
    const { cube } = await bed.publishedBinary("fog-kv", "activation", await kvSnapshot());
    const listing = await createListing(bed.t.ctx, bed.publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: { purposes: ["training"] },
    });
    await publishListing(bed.t.ctx, bed.publisher, listing.id);
    const { key, vault } = await subscriberOf(listing.id, "Trainers");
    const download = (purpose?: string) =>
      fetch(`${bed.server.url}/api/v1/vaults/${vault.id}/installs/${vault.installId}/payload`, {
        headers: { authorization: `Bearer ${key}`, ...(purpose && { "memstore-purpose": purpose }) },
      });
    for (const purpose of [undefined, "marketing"]) {
      const refused = await download(purpose);
      expect(refused.status).toBe(403);
      expect((await refused.json()).code).toBe("purpose_not_licensed");
    }
    const served = await download("training");
    expect(served.status).toBe(200);
    await served.arrayBuffer();
  });
});

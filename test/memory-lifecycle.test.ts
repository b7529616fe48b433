import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./support/api-errors.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let client: MemStoreClient;
let vault: string;

beforeAll(async () => {
  bed = await openHttpTestbed();
  client = new MemStoreClient({
    baseUrl: bed.server.url,
    apiKey: await bed.organization("Field Notes", "owner@field-notes.example.com"),
  });
  vault = (await client.createVault({ name: "notes" })).id;
});
afterAll(async () => {
  await bed?.close();
});

const found = async (query: string) =>
  (await client.search(vault, { query, top_k: 20, mode: "keyword" })).results.map((r) => r.text);

describe("memory states", () => {
  it("merges memories into one that says where it came from; the sources are merged, not searched", async () => {
    const a = await client.createMemory(vault, { text: "The ferry leaves at nine.", tags: ["ferry"] });
    const b = await client.createMemory(vault, { text: "The ferry is cancelled in fog.", tags: ["fog"] });
    expect(a).toMatchObject({ state: "active", access_count: 0, last_accessed_at: null });

    const merged = await client.mergeMemories(vault, { memory_ids: [a.id, b.id] });
    expect(merged).toMatchObject({
      state: "active",
      text: "The ferry leaves at nine.\n\nThe ferry is cancelled in fog.",
      merged_from: [a.id, b.id],
      version: 1,
    });
    expect([...(await client.getMemory(vault, merged.id)).tags].sort()).toEqual(["ferry", "fog"]);
    expect((await client.getMemory(vault, a.id)).state).toBe("merged");
    expect(await found("ferry")).toEqual([merged.text]);
    expect((await client.listMemories(vault, { state: "merged" })).items.map((m) => m.id).sort()).toEqual(
      [a.id, b.id].sort(),
    );

    // Only active memories of this vault, each once.
    expect(await codeOf(client.mergeMemories(vault, { memory_ids: [a.id, merged.id] }))).toBe("409 conflict");
    expect(await codeOf(client.mergeMemories(vault, { memory_ids: [merged.id, "mem_nosuchmemory"] }))).toBe(
      "404 not_found",
    );
    expect(await codeOf(client.mergeMemories(vault, { memory_ids: [merged.id, merged.id] }))).toBe(
      "400 invalid_input",
    );
    expect(await codeOf(client.mergeMemories(vault, { memory_ids: [merged.id] }))).toBe("400 invalid_input");

    // A source restored: active again, as a new version of its own text; searched again.
    const back = await client.restoreMemory(vault, a.id);
    expect(back).toMatchObject({ state: "active", version: 2, text: "The ferry leaves at nine." });
    expect((await found("nine")).sort()).toEqual([merged.text, back.text].sort());
  });

  it("restores an archived memory, or an earlier version's text, as a new version", async () => {
    const m = await client.createMemory(vault, { text: "Gate code is 4411." });
    await client.updateMemory(vault, m.id, { text: "Gate code is 9090." });
    expect(await codeOf(client.restoreMemory(vault, m.id))).toBe("409 conflict");
    const reverted = await client.restoreMemory(vault, m.id, { version: 1 });
    expect(reverted).toMatchObject({ version: 3, text: "Gate code is 4411.", state: "active" });

    await client.archiveMemory(vault, m.id);
    expect(await found("gate code")).toEqual([]);
    const restored = await client.restoreMemory(vault, m.id);
    expect(restored).toMatchObject({ version: 4, text: "Gate code is 4411.", state: "active" });
    expect(await found("gate code")).toEqual(["Gate code is 4411."]);
    expect((await client.memoryHistory(vault, m.id)).items.map((v) => [v.version, v.state])).toEqual([
      [1, "active"],
      [2, "active"],
      [3, "archived"],
      [4, "active"],
    ]);
    expect(await codeOf(client.restoreMemory(vault, m.id, { version: 99 }))).toBe("404 not_found");
  });

  it("counts what searches return, in batches, and shows the hottest and the coldest", async () => {
    const heatVault = (await client.createVault({ name: "heat" })).id;
    const hot = await client.createMemory(heatVault, { text: "Lighthouse keeper log: lamp lit at dusk." });
    const cold = await client.createMemory(heatVault, { text: "Spare bulbs are in the cellar." });
    for (let i = 0; i < 3; i++) await client.search(heatVault, { query: "lighthouse lamp", mode: "keyword" });
    // Counted in this process until the batch is written.
    expect((await client.vaultHeat(heatVault)).memories[0]).toMatchObject({ access_count: 0 });
    await bed.t.ctx.heat.flush();
    const hottest = await client.vaultHeat(heatVault, { limit: 1 });
    expect(hottest.memories).toEqual([
      { id: hot.id, access_count: 3, last_accessed_at: expect.any(String) as string },
    ]);
    expect((await client.getMemory(heatVault, hot.id)).access_count).toBe(3);
    const coldest = await client.vaultHeat(heatVault, { order: "coldest" });
    expect(coldest.memories.map((m) => [m.id, m.access_count])).toEqual([
      [cold.id, 0],
      [hot.id, 3],
    ]);
    // Installed text warms by section.
    const { listing } = await bed.listedCube(
      "heat-buoys",
      "# North\nNorth buoy flashes green.\n\n# South\nSouth buoy flashes red.\n",
    );
    await client.acquire(listing.id);
    const install = await client.install(heatVault, { listing_id: listing.id });
    for (let i = 0; i < 2; i++)
      await client.search(heatVault, { query: "north buoy flashes green", mode: "keyword", top_k: 1 });
    await bed.t.ctx.heat.flush();
    expect((await client.vaultHeat(heatVault)).installs[0]).toMatchObject({
      install_id: install.id,
      section: "North",
      hits: 2,
    });
    expect((await client.vaultHeat(heatVault, { order: "coldest" })).installs[0]).toMatchObject({
      section: "South",
      hits: 0,
    });
    // A look at the past warms nothing.
    await client.search(heatVault, {
      query: "lighthouse lamp",
      mode: "keyword",
      as_of: new Date().toISOString(),
    });
    await bed.t.ctx.heat.flush();
    expect((await client.getMemory(heatVault, hot.id)).access_count).toBe(3);
  });
});

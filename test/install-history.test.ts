import { queryRows, sql } from "@memstore/db";
import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./support/api-errors.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { runMemstore } from "./support/processes.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});
afterAll(async () => {
  await bed?.close();
});

describe("installs with a past", () => {
  it("upgrade to the newest or a named version, roll back to what they held, and keep each move", async () => {
    const { cube, listing } = await bed.listedCube(
      "tide-tables",
      "# Tides\nHigh water at six in the morning.\n",
    );
    const pilots = await bed.subscriber("Pilots Co", listing.id);
    const client = bed.client(pilots.key);
    await bed.publishVersion(cube.id, "1.1.0", "# Tides\nHigh water at seven in the morning.\n");
    await bed.publishVersion(cube.id, "2.0.0", "# Tides\nHigh water at eight in the morning.\n");
    const vault = pilots.vault.id;

    // Installed at 1.0.0 under `latest`: the install says a newer version is there, and allowed.
    const before = await client.listInstalls(vault);
    expect(before.items[0]).toMatchObject({
      version: "1.0.0",
      update_available: { version: "2.0.0", allowed_by_policy: true },
    });
    // An upgrade asked for takes it to the newest.
    const upgraded = await client.upgradeInstall(vault, pilots.installId);
    expect(upgraded).toMatchObject({
      id: pilots.installId,
      version: "2.0.0",
      version_policy: "latest",
      update_available: null,
    });
    expect((await pilots.search("high water"))[0]!.text).toContain("eight");
    // Already on the newest: it stays, and says where it is.
    expect(await client.upgradeInstall(vault, pilots.installId)).toMatchObject({ version: "2.0.0" });

    // Back one: to the version held before, pinned there.
    const back = await client.rollbackInstall(vault, pilots.installId);
    expect(back).toMatchObject({
      version: "1.0.0",
      version_policy: "1.0.0",
      update_available: { version: "2.0.0", allowed_by_policy: false },
    });
    expect((await pilots.search("high water"))[0]!.text).toContain("six");

    // Only versions it held; an upgrade only forward.
    expect(await codeOf(client.rollbackInstall(vault, pilots.installId, { version: "1.1.0" }))).toBe(
      "409 conflict",
    );
    expect(await codeOf(client.upgradeInstall(vault, pilots.installId, { version: "1.0.0" }))).toBe(
      "409 conflict",
    );
    expect(await codeOf(client.upgradeInstall(vault, pilots.installId, { version: "9.9.9" }))).toBe(
      "422 no_matching_version",
    );
    expect(await client.upgradeInstall(vault, pilots.installId, { version: "1.1.0" })).toMatchObject({
      version: "1.1.0",
      version_policy: "1.1.0",
    });
    expect(await client.rollbackInstall(vault, pilots.installId, { version: "2.0.0" })).toMatchObject({
      version: "2.0.0",
    });

    const { items } = await client.installHistory(vault, pilots.installId);
    expect(items.map((h) => [h.version, h.moved_by.kind])).toEqual([
      ["1.0.0", "key"],
      ["2.0.0", "key"],
      ["1.0.0", "rollback"],
      ["1.1.0", "key"],
      ["2.0.0", "rollback"],
    ]);
    // Each held until the next began; the last is held now.
    for (let i = 1; i < items.length; i++) expect(items[i - 1]!.to).toBe(items[i]!.from);
    expect(items.at(-1)!.to).toBeNull();
    expect(items.every((h) => h.moved_by.id?.startsWith("key_"))).toBe(true);

    // Audited, and announced to the vault's listeners.
    const audited = await queryRows<{ action: string }>(
      bed.t.ctx.db,
      sql`select action from audit_log where object_id = ${pilots.installId} order by seq`,
    );
    expect(audited.map((a) => a.action)).toEqual([
      "install.created",
      "install.upgraded",
      "install.rolled_back",
      "install.upgraded",
      "install.rolled_back",
    ]);
    const events = await queryRows<{ change: string; previous: string | null; version: string }>(
      bed.t.ctx.db,
      sql`select data->>'change' as change, data->>'previous_version' as previous, data->'install'->>'version' as version
          from outbox_events where type = 'install.updated' and vault_id = ${vault} order by seq`,
    );
    expect(events.slice(1)).toEqual([
      { change: "upgraded", previous: "1.0.0", version: "2.0.0" },
      { change: "rolled_back", previous: "2.0.0", version: "1.0.0" },
      { change: "upgraded", previous: "1.0.0", version: "1.1.0" },
      { change: "rolled_back", previous: "1.1.0", version: "2.0.0" },
    ]);
  });

  it("says what changed between two versions: changelogs, sections, chunks and reports", async () => {
    const { cube, listing } = await bed.listedCube(
      "harbour-manual",
      "# Anchoring\nDrop anchor in sand, never on the cable.\n\n# Berthing\nBerth at slack water.\n\n# Fog\nSound the horn every two minutes.\n",
    );
    const mates = await bed.subscriber("Mates Co", listing.id);
    const client = bed.client(mates.key);
    await bed.publishVersion(
      cube.id,
      "2.0.0",
      "# Anchoring\nDrop anchor in sand, never on the cable.\n\n# Berthing\nBerth only at slack water, with two tugs.\n\n# Ice\nBreak the ice before berthing.\n",
    );
    // By default: the version held against the newest.
    const diff = await client.installDiff(mates.vault.id, mates.installId);
    expect(diff).toMatchObject({
      from: "1.0.0",
      to: "2.0.0",
      changelog: [{ version: "2.0.0", changelog: "release 2.0.0" }],
      chunks: { added: 1, removed: 1, changed: 1, unchanged: 1 },
      reports: { desensitise: { from: expect.any(Object), to: expect.any(Object) } },
    });
    expect(diff.sections.map((s) => [s.title, s.change]).sort()).toEqual([
      ["Berthing", "changed"],
      ["Fog", "removed"],
      ["Ice", "added"],
    ]);
    // Backwards, the other way round; a version that is not there is named as such.
    const back = await client.installDiff(mates.vault.id, mates.installId, { from: "2.0.0", to: "1.0.0" });
    expect(back.chunks).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 1 });
    expect(back.sections.find((s) => s.title === "Fog")?.change).toBe("added");
    expect(await codeOf(client.installDiff(mates.vault.id, mates.installId, { to: "3.0.0" }))).toBe(
      "422 no_matching_version",
    );
  });

  it("leaves a rolled-back install where it is when an auto-update comes, and shows no one else's", async () => {
    const { cube, listing } = await bed.listedCube("berth-plan", "# Berths\nBerth one takes tankers.\n");
    const crew = await bed.subscriber("Crew Co", listing.id);
    const client = bed.client(crew.key);
    await client.createEventSubscription({
      filter: { listing_id: listing.id },
      delivery: { sse: true },
      auto_install: { vault_id: crew.vault.id, version_policy: "latest" },
    });
    await bed.publishVersion(cube.id, "1.1.0", "# Berths\nBerth one takes tankers and ferries.\n");
    await bed.t.runner.idle();
    const auto = await client.installHistory(crew.vault.id, crew.installId);
    expect(auto.items.map((h) => [h.version, h.moved_by.kind])).toEqual([
      ["1.0.0", "key"],
      ["1.1.0", "auto_update"],
    ]);
    expect(auto.items[1]!.moved_by.id).toMatch(/^sub_/);

    await client.rollbackInstall(crew.vault.id, crew.installId);
    await bed.publishVersion(cube.id, "1.2.0", "# Berths\nBerth one takes tankers only.\n");
    await bed.t.runner.idle();
    const after = await client.installHistory(crew.vault.id, crew.installId);
    expect(after.items.map((h) => h.version)).toEqual(["1.0.0", "1.1.0", "1.0.0"]);

    // The same from the command line, as a script would.
    const env = { MEMSTORE_API_KEY: crew.key, MEMSTORE_URL: bed.server.url };
    const up = await runMemstore(
      ["install", "upgrade", crew.vault.id, crew.installId, "--version", "1.2.0"],
      env,
    );
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/berth-plan@1\.2\.0 +policy 1\.2\.0 +activated/);
    const past = await runMemstore(["install", "history", crew.vault.id, crew.installId], env);
    expect(past.code, past.stderr).toBe(0);
    expect(
      past.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["1.0.0", "1.1.0", "1.0.0", "1.2.0"]);
    expect(past.stdout).toMatch(/1\.2\.0 .* → now +key key_/);

    // Another organisation's install is not there for it.
    const stranger = new MemStoreClient({
      baseUrl: bed.server.url,
      apiKey: await bed.organization("Stranger", "x@stranger.example.com"),
    });
    expect(await codeOf(stranger.installHistory(crew.vault.id, crew.installId))).toBe("404 not_found");
    expect(await codeOf(stranger.rollbackInstall(crew.vault.id, crew.installId))).toBe("404 not_found");
  });
});

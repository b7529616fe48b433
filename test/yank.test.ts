import { queryRows, sql } from "@memstore/db";
import { settleYankedInstalls } from "@memstore/api/vaults";
import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./support/api-errors.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { webhookReceiver } from "./support/webhook-receiver.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let publisher: MemStoreClient;

beforeAll(async () => {
  // The webhook receiver listens on 127.0.0.1, which webhooks may reach only when allowed.
  bed = await openHttpTestbed({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" });
  publisher = bed.client();
});
afterAll(async () => {
  await bed?.close();
});

/** A second install of the listing in a new vault of the subscriber, under `policy`. */
async function installUnder(key: string, listingId: string, policy: string) {
  const client = bed.client(key);
  const vault = await client.createVault({ name: `pinned ${policy}` });
  return {
    client,
    vault,
    install: await client.install(vault.id, { listing_id: listingId, version_policy: policy }),
  };
}

const typesIn = async (vaultId: string) =>
  (
    await queryRows<{ type: string; version: string | null }>(
      bed.t.ctx.db,
      sql`select type, data->>'version' as version from vault_events where vault_id = ${vaultId} order by seq`,
    )
  ).map((e) => `${e.type}${e.version ? ` ${e.version}` : ""}`);

describe("yank", () => {
  it("moves installs to the newest version their policy allows, keeps pinned ones with a notice, and refuses new installs", async () => {
    const { cube, listing } = await bed.listedCube(
      "reef-charts",
      "# Reefs\nThe north reef dries at low water.\n",
    );
    await bed.publishVersion(cube.id, "1.1.0", "# Reefs\nThe north reef is marked by a red buoy.\n");
    const hook = await webhookReceiver();
    const follows = await bed.subscriber("Follows Co", listing.id);
    const followsClient = bed.client(follows.key);
    await followsClient.createEventSubscription({
      filter: { listing_id: listing.id },
      delivery: { webhook_url: hook.url },
    });
    const pinned = await installUnder(follows.key, listing.id, "1.1.0");
    expect((await followsClient.listInstalls(follows.vault.id)).items[0]).toMatchObject({ version: "1.1.0" });

    const yanked = await publisher.yankVersion(cube.id, "1.1.0", {
      reason: "the buoy was moved",
      severity: "normal",
    });
    expect(yanked).toMatchObject({
      version: "1.1.0",
      yanked: { reason: "the buoy was moved", severity: "normal" },
    });
    expect(Date.parse(yanked.yanked!.at)).toBeGreaterThan(Date.now() - 60_000);
    await bed.t.runner.idle();

    // `latest` finds the newest version not yanked: back to 1.0.0, moved by the yank.
    const moved = (await followsClient.listInstalls(follows.vault.id)).items[0]!;
    expect(moved).toMatchObject({ version: "1.0.0", state: "activated", update_available: null });
    expect(moved.notice).toBeUndefined();
    expect((await follows.search("north reef"))[0]!.text).toContain("dries");
    const past = await followsClient.installHistory(follows.vault.id, follows.installId);
    expect(past.items.map((h) => [h.version, h.moved_by.kind])).toEqual([
      ["1.1.0", "key"],
      ["1.0.0", "yank"],
    ]);

    // Pinned to 1.1.0: nothing else its policy allows, so it keeps it, with a notice, still searched.
    const kept = (await pinned.client.listInstalls(pinned.vault.id)).items[0]!;
    expect(kept).toMatchObject({
      version: "1.1.0",
      state: "activated",
      notice: { code: "version_yanked", version: "1.1.0", reason: "the buoy was moved", severity: "normal" },
    });

    // Subscribers hear of it: both vaults' streams and the listing's webhook.
    expect(await typesIn(follows.vault.id)).toContain("version.yanked 1.1.0");
    expect(await typesIn(pinned.vault.id)).toContain("version.yanked 1.1.0");
    const delivered = hook.received.map(
      (r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> },
    );
    expect(delivered.find((e) => e.type === "version.yanked")?.data).toMatchObject({
      listing_id: listing.id,
      version: "1.1.0",
      yanked: { reason: "the buoy was moved", severity: "normal" },
    });
    const changes = await queryRows<{ change: string }>(
      bed.t.ctx.db,
      sql`select data->>'change' as change from outbox_events
          where type = 'install.updated' and vault_id in (${follows.vault.id}, ${pinned.vault.id}) order by seq`,
    );
    // The two installs are settled in id order, which is no order here.
    expect(changes.map((c) => c.change).sort()).toEqual([
      "installed",
      "installed",
      "moved_by_yank",
      "noticed",
    ]);

    // No new install of it, by name or by a policy only it matches; the rest still install.
    const newcomer = await bed.organization("Newcomer", "n@newcomer.example.com");
    const newcomerClient = bed.client(newcomer);
    await newcomerClient.acquire(listing.id);
    const nv = await newcomerClient.createVault({ name: "main" });
    expect(
      await codeOf(newcomerClient.install(nv.id, { listing_id: listing.id, version_policy: "1.1.0" })),
    ).toBe("409 version_yanked");
    expect(
      await codeOf(followsClient.upgradeInstall(follows.vault.id, follows.installId, { version: "1.1.0" })),
    ).toBe("409 version_yanked");
    expect(await codeOf(followsClient.rollbackInstall(follows.vault.id, follows.installId))).toBe(
      "409 version_yanked",
    );
    expect(
      await newcomerClient.install(nv.id, { listing_id: listing.id, version_policy: "^1.0.0" }),
    ).toMatchObject({
      version: "1.0.0",
    });

    // The listing shows the tombstone; its latest version is the newest standing.
    const shown = await newcomerClient.getListing(listing.id);
    expect(shown.latest_version).toBe("1.0.0");
    expect(shown.versions.find((v) => v.version === "1.1.0")?.yanked).toMatchObject({
      reason: "the buoy was moved",
    });
    expect(shown.versions.find((v) => v.version === "1.0.0")?.yanked).toBeNull();

    // Unyank: installable again, the notice gone; the install that moved stays where it went.
    expect(await publisher.unyankVersion(cube.id, "1.1.0")).toMatchObject({ yanked: null });
    expect((await pinned.client.listInstalls(pinned.vault.id)).items[0]!.notice).toBeUndefined();
    expect((await followsClient.listInstalls(follows.vault.id)).items[0]).toMatchObject({
      version: "1.0.0",
      update_available: { version: "1.1.0", allowed_by_policy: true },
    });
    expect(await codeOf(publisher.unyankVersion(cube.id, "1.1.0"))).toBe("409 conflict");
    await hook.close();
  });

  it("suspends installs a critical yank leaves nowhere to go, until a version they may take is ready", async () => {
    const { cube, listing } = await bed.listedCube(
      "pilot-fees",
      "# Fees\nPilotage costs forty crowns an hour.\n",
    );
    const port = await bed.subscriber("Port Co", listing.id);
    const client = bed.client(port.key);
    expect(await port.search("pilotage")).toHaveLength(1);

    await publisher.yankVersion(cube.id, "1.0.0", {
      reason: "a customer's IBAN leaked",
      severity: "critical",
    });
    const suspended = (await client.listInstalls(port.vault.id)).items[0]!;
    expect(suspended).toMatchObject({
      version: "1.0.0",
      state: "suspended",
      notice: { severity: "critical", reason: "a customer's IBAN leaked" },
    });
    // Search leaves it out; the audit says the platform did it, in the subscriber's log.
    expect(await port.search("pilotage")).toHaveLength(0);
    const audited = await queryRows<{ action: string; actor: string }>(
      bed.t.ctx.db,
      sql`select action, actor from audit_log where object_id = ${port.installId} order by seq`,
    );
    expect(audited.at(-1)).toEqual({ action: "install.suspended", actor: "system:yank" });
    // A settled install is left alone by the sweep.
    expect(await settleYankedInstalls(bed.t.ctx)).toBe(0);

    // A fixed version comes: the sweep moves the install onto it and lifts the suspension.
    await bed.publishVersion(
      cube.id,
      "1.0.1",
      "# Fees\nPilotage costs forty crowns an hour, paid on arrival.\n",
    );
    expect(await settleYankedInstalls(bed.t.ctx)).toBeGreaterThanOrEqual(1);
    const back = (await client.listInstalls(port.vault.id)).items[0]!;
    expect(back).toMatchObject({ version: "1.0.1", state: "activated" });
    expect(back.notice).toBeUndefined();
    expect((await port.search("pilotage"))[0]!.text).toContain("arrival");
    const history = await client.installHistory(port.vault.id, port.installId);
    expect(history.items.map((h) => [h.version, h.moved_by.kind])).toEqual([
      ["1.0.0", "key"],
      ["1.0.1", "yank"],
    ]);
  });

  it("is the publisher's alone, only of a ready version, once, with a reason and a known severity", async () => {
    const { cube } = await bed.listedCube("tide-clock", "# Clock\nThe tide turns every six hours.\n");
    const other = new MemStoreClient({
      baseUrl: bed.server.url,
      apiKey: await bed.organization("Other Pub", "o@other.example.com"),
    });
    const reason = { reason: "wrong", severity: "normal" } as const;
    expect(await codeOf(other.yankVersion(cube.id, "1.0.0", reason))).toBe("404 not_found");
    expect(await codeOf(publisher.yankVersion(cube.id, "9.9.9", reason))).toBe("404 not_found");
    await publisher.createVersion(cube.id, { version: "2.0.0" });
    expect(await codeOf(publisher.yankVersion(cube.id, "2.0.0", reason))).toBe("409 conflict");
    for (const bad of [
      { reason: "", severity: "normal" },
      { reason: "x", severity: "fatal" },
      { reason: "x" },
    ]) {
      const answer = await bed.api(
        "POST",
        `/api/v1/cubes/${cube.id}/versions/1.0.0/yank`,
        bed.publisherKey,
        bad,
      );
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe("invalid_input");
    }
    await publisher.yankVersion(cube.id, "1.0.0", reason);
    expect(await codeOf(publisher.yankVersion(cube.id, "1.0.0", reason))).toBe("409 conflict");
    expect(await publisher.getVersion(cube.id, "1.0.0")).toMatchObject({ yanked: { reason: "wrong" } });
  });
});

import { queryRows, sql } from "@memstore/db";
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

const actionsOn = async (objectId: string) =>
  (
    await queryRows<{ action: string }>(
      bed.t.ctx.db,
      sql`select action from audit_log where object_id = ${objectId} order by seq`,
    )
  ).map((r) => r.action);

describe("a frozen vault", () => {
  it("refuses every write, skips the platform's own with an audit row, and goes on serving reads", async () => {
    const publisher = bed.client();
    const { cube, listing } = await bed.listedCube("salvage-law", "# Salvage\nA salvor earns a reward.\n");
    const firm = await bed.subscriber("Salvage Firm", listing.id);
    const client = bed.client(firm.key);
    const vault = firm.vault.id;
    await client.createEventSubscription({
      filter: { listing_id: listing.id },
      delivery: { sse: true },
      auto_install: { vault_id: vault, version_policy: "latest" },
    });
    const memory = await client.createMemory(vault, { text: "Claim 12 was settled out of court." });

    const frozen = await client.freezeVault(vault, { reason: "legal hold: case 2026-114" });
    expect(frozen.frozen).toMatchObject({
      reason: "legal hold: case 2026-114",
      by: expect.stringMatching(/^key:/),
    });
    expect(await codeOf(client.freezeVault(vault, { reason: "again" }))).toBe("409 conflict");

    // Writes: refused, saying why; nothing written.
    const refusals = await Promise.all([
      codeOf(client.createMemory(vault, { text: "A new claim." })),
      codeOf(client.updateMemory(vault, memory.id, { text: "Claim 12 was never settled." })),
      codeOf(client.archiveMemory(vault, memory.id)),
      codeOf(client.upgradeInstall(vault, firm.installId)),
      codeOf(client.rollbackInstall(vault, firm.installId)),
      codeOf(client.uninstall(vault, firm.installId)),
      codeOf(client.updateVault(vault, { name: "renamed" })),
    ]);
    expect(refusals).toEqual(Array(7).fill("423 vault_frozen"));
    const refused = await bed.api("POST", `/api/v1/vaults/${vault}/memories`, firm.key, { text: "x" });
    expect(refused.body.detail).toContain("legal hold: case 2026-114");
    expect((await client.listMemories(vault)).items).toHaveLength(1);

    // Reads: served.
    expect((await firm.search("salvor reward"))[0]!.text).toContain("reward");
    expect((await client.getMemory(vault, memory.id)).text).toContain("settled out of court");

    // The platform's writes: an auto-update and a yank's move wait, each with an audit row.
    await bed.publishVersion(cube.id, "1.1.0", "# Salvage\nA salvor earns a reward, set by the court.\n");
    await bed.t.runner.idle();
    await publisher.yankVersion(cube.id, "1.0.0", { reason: "the reward rule changed", severity: "normal" });
    expect((await client.listInstalls(vault)).items[0]).toMatchObject({ version: "1.0.0" });
    expect(await actionsOn(vault)).toContain("install.auto_update_skipped");
    expect(await actionsOn(firm.installId)).toContain("install.skipped_frozen");

    // Unfrozen: writes are taken again, and the yank's move is made at once.
    expect((await client.unfreezeVault(vault, { reason: "case closed" })).frozen).toBeNull();
    expect((await client.listInstalls(vault)).items[0]).toMatchObject({ version: "1.1.0" });
    const history = await client.installHistory(vault, firm.installId);
    expect(history.items.at(-1)?.moved_by.kind).toBe("yank");
    await client.createMemory(vault, { text: "A new claim." });
    expect(await actionsOn(vault)).toEqual(expect.arrayContaining(["vault.frozen", "vault.unfrozen"]));
    const streamed = await queryRows<{ type: string }>(
      bed.t.ctx.db,
      sql`select type from vault_events where vault_id = ${vault} and type like 'vault.%' order by seq`,
    );
    await bed.t.runner.idle();
    expect(streamed.map((e) => e.type)).toEqual(["vault.frozen", "vault.unfrozen"]);
  });

  it("is an admin's act, and the command line puts it on and lifts it", async () => {
    const key = await bed.organization("Docks Co", "owner@docks.example.com");
    const client = bed.client(key);
    const vault = await client.createVault({ name: "records" });
    const agent = await client.createKey({
      name: "agent",
      scopes: ["vault:read", "vault:write"],
      vault_id: vault.id,
    });
    const agentClient = bed.client(agent.key);
    expect(await codeOf(agentClient.freezeVault(vault.id, { reason: "mine" }))).toBe("403 forbidden");

    const env = { MEMSTORE_API_KEY: key, MEMSTORE_URL: bed.server.url };
    const on = await runMemstore(["vault", "freeze", vault.id, "--reason", "annual audit"], env);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/records +frozen since .* by key:key_\w+: annual audit/);
    expect(await codeOf(agentClient.createMemory(vault.id, { text: "x" }))).toBe("423 vault_frozen");
    const no = await runMemstore(["vault", "freeze", vault.id], env);
    expect(no.code).not.toBe(0);
    expect(no.stderr).toContain("--reason");
    const off = await runMemstore(["vault", "unfreeze", vault.id], env);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/records +takes writes/);
    await agentClient.createMemory(vault.id, { text: "x" });
  });
});

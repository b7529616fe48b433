import { createHash } from "node:crypto";
import { applyRetention } from "@memstore/api/memories";
import { queryRows, sql } from "@memstore/db";
import { MemStoreApiError, MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let client: MemStoreClient;

beforeAll(async () => {
  bed = await openHttpTestbed();
  client = new MemStoreClient({
    baseUrl: bed.server.url,
    apiKey: await bed.organization("Archivists", "owner@archivists.example.com"),
  });
});
afterAll(async () => {
  await bed?.close();
});

const DAY = 86_400_000;
const later = (days: number) => new Date(Date.now() + days * DAY);
const stateOf = async (vault: string, id: string) => (await client.getMemory(vault, id)).state;

describe("retention", () => {
  it("expires by TTL, caps, archives the unused, expires the archived and purges their text, each step once", async () => {
    const vault = (await client.createVault({ name: "kept" })).id;
    const updated = await client.updateVault(vault, {
      retention: {
        archive_unused_after_days: 30,
        expire_archived_after_days: 10,
        purge_expired_after_days: 5,
        max_memories: 3,
      },
    });
    expect(updated.retention).toEqual({
      archive_unused_after_days: 30,
      expire_archived_after_days: 10,
      purge_expired_after_days: 5,
      max_memories: 3,
    });
    const m = [];
    for (const text of ["Oldest note.", "Second note.", "Third note.", "Used note."]) {
      m.push(await client.createMemory(vault, { text }));
    }
    const brief = await client.createMemory(vault, { text: "Brief note.", ttl_days: 1 });
    await client.search(vault, { query: "used note", mode: "keyword", top_k: 1 });
    await bed.t.ctx.heat.flush();

    // Two days on: the TTL ran out, and four active memories are one over the cap (the oldest unused goes).
    expect(await applyRetention(bed.t.ctx, later(2))).toMatchObject({ expired: 1, archived: 1 });
    expect(await stateOf(vault, brief.id)).toBe("expired");
    expect(await stateOf(vault, m[0]!.id)).toBe("archived");
    expect(await applyRetention(bed.t.ctx, later(2))).toMatchObject({ expired: 0, archived: 0, purged: 0 });

    // A month on: the rest unused past 30 days are archived; the first archived, kept past 10 days,
    // expires; the TTL-expired one, past the 5 days' grace, has its text purged.
    expect(await applyRetention(bed.t.ctx, later(32))).toMatchObject({ archived: 3, expired: 1, purged: 1 });
    expect(await stateOf(vault, m[3]!.id)).toBe("archived");
    expect(await stateOf(vault, m[0]!.id)).toBe("expired");

    // Past the grace: expired memories' text is purged; their history keeps each version's digest.
    expect(await applyRetention(bed.t.ctx, later(40))).toMatchObject({ purged: 1 });
    const history = (await client.memoryHistory(vault, m[0]!.id)).items;
    expect(history[0]).toMatchObject({
      text: "",
      state: "expired",
      text_sha256: createHash("sha256").update("Oldest note.").digest("hex"),
    });
    expect(await applyRetention(bed.t.ctx, later(40))).toMatchObject({ purged: 0 });
    await expect(client.restoreMemory(vault, m[0]!.id)).rejects.toMatchObject({ status: 409 });

    // Each transition audited by the platform and announced on the vault's stream.
    const audited = await queryRows<{ action: string; count: number }>(
      bed.t.ctx.db,
      sql`select action, (data->>'count')::int as count from audit_log
          where object_id = ${vault} and actor = 'system:retention' order by seq`,
    );
    expect(audited.map((a) => a.action)).toEqual([
      "memory.expired",
      "memory.archived",
      "memory.archived",
      "memory.expired",
      "memory.purged",
      "memory.purged",
    ]);
    const streamed = await queryRows<{ type: string }>(
      bed.t.ctx.db,
      sql`select type from outbox_events where vault_id = ${vault} and type like 'memory.%' order by seq`,
    );
    expect(streamed.map((e) => e.type)).toEqual([
      "memory.expired",
      "memory.archived",
      "memory.archived",
      "memory.expired",
    ]);
  });

  it("leaves a frozen vault alone, runs as the workers' job, and bounds its policy", async () => {
    const vault = (await client.createVault({ name: "held" })).id;
    await client.updateVault(vault, { retention: { archive_unused_after_days: 1 } });
    const note = await client.createMemory(vault, { text: "Under hold." });
    await client.freezeVault(vault, { reason: "litigation" });
    await applyRetention(bed.t.ctx, later(5));
    await applyRetention(bed.t.ctx, later(5));
    expect(await stateOf(vault, note.id)).toBe("active");
    const skipped = await queryRows<{ action: string }>(
      bed.t.ctx.db,
      sql`select action from audit_log where object_id = ${vault} and action = 'retention.skipped_frozen'`,
    );
    expect(skipped).toHaveLength(1);
    await client.unfreezeVault(vault);

    // The job the sweep asks for, run by the workers (here in process).
    await bed.t.ctx.jobs.enqueue("retention", { window: "test" });
    await bed.t.runner.idle();
    expect(await stateOf(vault, note.id)).toBe("active");
    expect((await applyRetention(bed.t.ctx, later(5))).archived).toBeGreaterThanOrEqual(1);
    expect(await stateOf(vault, note.id)).toBe("archived");

    for (const bad of [{ archive_unused_after_days: 0 }, { max_memories: 1e12 }, { forever: 1 }]) {
      const answer = await client.updateVault(vault, { retention: bad }).catch((e: unknown) => e);
      expect(answer).toBeInstanceOf(MemStoreApiError);
      expect(answer).toMatchObject({ status: 400, code: "invalid_input" });
    }
    expect((await client.updateVault(vault, { retention: null })).retention).toBeNull();
  });
});

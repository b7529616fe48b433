import { expireEntitlements } from "@memstore/api/entitlements";
import { queryRows, sql } from "@memstore/db";
import { stripMarks } from "@memstore/watermark";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * `valid_days` ends an entitlement: search leaves its chunks out the moment its date passes, the
 * expiry sweep then marks it expired, suspends the installs and tells the vault; acquiring again
 * brings the installs back.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});

afterAll(async () => {
  await bed?.close();
});

describe("an entitlement whose valid_days run out", () => {
  it("stops serving at once, is expired by the sweep with its installs, and comes back when acquired again", async () => {
    const { listing } = await bed.listedCube(
      "tide-tables",
      "# Tides\n\nHigh tide at the north quay is at 06:40.\n",
      {
        terms: { valid_days: 1 },
      },
    );
    const sub = await bed.subscriber("Ferries", listing.id);
    expect((await sub.search("north quay tide")).map((r) => stripMarks(r.text)).join(" ")).toContain("06:40");

    // A day goes by: the entitlement's end is now in the past.
    await bed.t.ctx.db.execute(
      sql`update entitlements set valid_until = now() - interval '1 second' where listing_id = ${listing.id}`,
    );
    expect(await sub.search("north quay tide")).toEqual([]);

    expect(await expireEntitlements(bed.t.ctx)).toBe(1);
    expect(await expireEntitlements(bed.t.ctx)).toBe(0);
    await bed.t.runner.idle();
    const held = (await bed.api("GET", "/api/v1/entitlements", sub.key)).body.items;
    expect(held).toMatchObject([{ listing_id: listing.id, state: "expired" }]);
    const installs = (await bed.api("GET", `/api/v1/vaults/${sub.vault.id}/installs`, sub.key)).body.items;
    expect(installs.map((i: { state: string }) => i.state)).toEqual(["suspended"]);
    const events = await queryRows<{ type: string }>(
      bed.t.ctx.db,
      sql`select type from vault_events where vault_id = ${sub.vault.id} and type = 'entitlement.revoked'`,
    );
    expect(events).toHaveLength(1);

    const again = await bed.api("POST", `/api/v1/store/listings/${listing.id}/acquire`, sub.key);
    expect(again.status).toBe(201);
    const back = (await bed.api("GET", `/api/v1/vaults/${sub.vault.id}/installs`, sub.key)).body.items;
    expect(back.map((i: { state: string }) => i.state)).toEqual(["activated"]);
    expect((await sub.search("north quay tide")).map((r) => stripMarks(r.text)).join(" ")).toContain("06:40");
  });
});

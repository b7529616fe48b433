import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});

afterAll(async () => {
  await bed?.close();
});

describe("license terms: calls_per_day", () => {
  it("answers 429 with Retry-After once an install's daily calls are used up, counting every key", async () => {
    const { listing } = await bed.listedCube(
      "tide-tables",
      "# Tides\nHigh water at Brest follows the moon.\n",
      {
        terms: { calls_per_day: 3 },
      },
    );
    const unlimited = await bed.listedCube("knots", "# Knots\nThe bowline makes a fixed loop.\n");
    const key = await bed.organization("Fleet Ops", "ops@fleet.example.com");
    const vault = (await bed.api("POST", "/api/v1/vaults", key, { name: "bridge" })).body as { id: string };
    const other = (await bed.api("POST", "/api/v1/vaults", key, { name: "galley" })).body as { id: string };
    for (const [v, l] of [
      [vault.id, listing.id],
      [other.id, unlimited.listing.id],
    ] as const) {
      await bed.api("POST", `/api/v1/store/listings/${l}/acquire`, key);
      expect((await bed.api("POST", `/api/v1/vaults/${v}/installs`, key, { listing_id: l })).status).toBe(
        201,
      );
    }
    const agentKey = (
      await bed.api("POST", "/api/v1/keys", key, {
        name: "agent",
        scopes: ["vault:read"],
        vault_id: vault.id,
      })
    ).body.key as string;

    const search = (k: string, v = vault.id) =>
      bed.api("POST", `/api/v1/vaults/${v}/search`, k, { query: "tides" });
    expect((await search(key)).status).toBe(200);
    expect((await search(agentKey)).status).toBe(200);
    expect((await search(agentKey)).status).toBe(200);

    const refused = await search(agentKey);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: "license_rate", listing_id: listing.id, limit: 3 });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // Refused calls are not counted, the org's other keys are refused too, and the limit is per install.
    expect((await search(key)).status).toBe(429);
    expect((await search(key, other.id)).status).toBe(200);
  });
});

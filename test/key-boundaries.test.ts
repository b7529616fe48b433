import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * A key never creates or reads anything wider than itself. The probe that found the escape: a
 * vault-bound key with `admin` minted an unbound key with every scope and read another vault with
 * it, and read the organisation's encryption key.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let owner: string;
let support: string;
let research: string;
let boundAdmin: string;

beforeAll(async () => {
  bed = await openHttpTestbed();
  owner = await bed.organization("Keyholders", "owner@keyholders.example.com");
  support = (await bed.api("POST", "/api/v1/vaults", owner, { name: "support" })).body.id;
  research = (await bed.api("POST", "/api/v1/vaults", owner, { name: "research" })).body.id;
  const made = await bed.api("POST", "/api/v1/keys", owner, {
    name: "support admin",
    scopes: ["vault:read", "vault:write", "admin"],
    vault_id: support,
  });
  expect(made.status).toBe(201);
  boundAdmin = made.body.key;
});

afterAll(async () => {
  await bed?.close();
});

/** A key bound to `vaultId` that subscribes and reads: an agent that keeps its vault up to date. */
const subscriberKeyFor = async (vaultId: string, name: string) =>
  (
    await bed.api("POST", "/api/v1/keys", owner, {
      name,
      scopes: ["subscribe", "vault:read"],
      vault_id: vaultId,
    })
  ).body.key as string;

const keyNames = async (key: string) =>
  ((await bed.api("GET", "/api/v1/keys?limit=100", key)).body.items as Array<{ name: string }>).map(
    (k) => k.name,
  );

describe("keys minted by keys", () => {
  it("refuses a vault-bound key an unbound key, or scopes it does not hold, and creates nothing", async () => {
    for (const body of [
      { name: "escape", scopes: ["vault:read", "vault:write", "subscribe", "admin"] },
      { name: "escape", scopes: ["vault:read"] },
      { name: "escape", scopes: ["vault:read", "subscribe"], vault_id: support },
      { name: "escape", scopes: ["vault:read"], vault_id: research },
    ]) {
      const refused = await bed.api("POST", "/api/v1/keys", boundAdmin, body);
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.body.code).toBe("forbidden");
    }
    expect(await keyNames(owner)).not.toContain("escape");
  });

  it("lets a vault-bound key mint a narrower key for its own vault, which stays in that vault", async () => {
    const made = await bed.api("POST", "/api/v1/keys", boundAdmin, {
      name: "support reader",
      scopes: ["vault:read"],
      vault_id: support,
    });
    expect(made.status).toBe(201);
    const reader = made.body.key as string;
    expect((await bed.api("GET", `/api/v1/vaults/${support}/memories`, reader)).status).toBe(200);
    expect((await bed.api("GET", `/api/v1/vaults/${research}/memories`, reader)).status).toBe(404);
  });

  it("never lets a key outlive the key that minted it", async () => {
    const expiring = (
      await bed.api("POST", "/api/v1/keys", owner, {
        name: "until 2031",
        scopes: ["vault:read", "admin"],
        expires_at: "2031-01-01T00:00:00Z",
      })
    ).body.key as string;
    for (const expires_at of [undefined, "2032-01-01T00:00:00Z"]) {
      const refused = await bed.api("POST", "/api/v1/keys", expiring, {
        name: "outliving",
        scopes: ["vault:read"],
        ...(expires_at ? { expires_at } : {}),
      });
      expect(refused.status).toBe(403);
    }
    const within = await bed.api("POST", "/api/v1/keys", expiring, {
      name: "until 2030",
      scopes: ["vault:read"],
      expires_at: "2030-06-01T00:00:00Z",
    });
    expect(within.status).toBe(201);
  });
});

describe("what a vault-bound key sees of the organisation", () => {
  it("is refused the organisation's encryption key, which an unbound admin key reads", async () => {
    const refused = await bed.api("GET", "/api/v1/keys/publisher", boundAdmin);
    expect(refused.status).toBe(403);
    expect(refused.body).not.toHaveProperty("encryption_key");
    const served = await bed.api("GET", "/api/v1/keys/publisher", owner);
    expect(served.status).toBe(200);
    expect(served.body.encryption_key).toMatch(/^[\w-]{43}$/);
  });

  it("lists and revokes only the keys bound to its own vault", async () => {
    const names = await keyNames(boundAdmin);
    expect(names).toContain("support admin");
    expect(names).not.toContain("until 2031");
    type Listed = { id: string; vault_id: string | null; revoked_at: string | null };
    const keys = async () => (await bed.api("GET", "/api/v1/keys?limit=100", owner)).body.items as Listed[];
    const unbound = (await keys()).find((k) => k.vault_id === null)!;
    expect((await bed.api("DELETE", `/api/v1/keys/${unbound.id}`, boundAdmin)).status).toBe(404);
    expect((await keys()).find((k) => k.id === unbound.id)!.revoked_at).toBeNull();
  });

  it("refuses to mint a bound key with 'publish', which allows only organisation-wide actions", async () => {
    const refused = await bed.api("POST", "/api/v1/keys", owner, {
      name: "bound publisher",
      scopes: ["vault:read", "publish"],
      vault_id: support,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("invalid_input");
    expect(refused.body.detail).toContain("'publish'");
    expect(await keyNames(owner)).not.toContain("bound publisher");
  });

  it("subscribes its own vault to a listing but makes no organisation-wide subscription", async () => {
    const bound = await subscriberKeyFor(support, "support manager");
    const { listing } = await bed.listedCube("keyholder-notes", "# Notes\n\nThe gate opens at six.\n");
    expect((await bed.api("POST", `/api/v1/store/listings/${listing.id}/acquire`, owner)).status).toBe(201);
    const orgWide = await bed.api("POST", "/api/v1/subscriptions", bound, {
      filter: { listing_id: listing.id },
      delivery: { sse: true },
    });
    expect([orgWide.status, orgWide.body.code]).toEqual([403, "forbidden"]);
    const owners = await bed.api("POST", "/api/v1/subscriptions", owner, {
      filter: { listing_id: listing.id },
      delivery: { sse: true },
    });
    expect(owners.status).toBe(201);
    const ownVault = await bed.api("POST", "/api/v1/subscriptions", bound, {
      filter: { listing_id: listing.id },
      delivery: { sse: true },
      auto_install: { vault_id: support, version_policy: "latest" },
    });
    expect(ownVault.status).toBe(201);
    const seen = (await bed.api("GET", "/api/v1/subscriptions", bound)).body.items as Array<{ id: string }>;
    expect(seen.map((s) => s.id)).toEqual([ownVault.body.id]);
    const deleted = await bed.api("DELETE", `/api/v1/subscriptions/${owners.body.id}`, bound);
    expect(deleted.status).toBe(404);
  });

  it("acquires nothing through a subscription it set up: auto-install skips a listing the organisation does not hold", async () => {
    const bound = await subscriberKeyFor(support, "support installer");
    const { cube, listing } = await bed.listedCube("keyholder-tides", "# Tides\n\nThe ebb runs at four.\n");
    const made = await bed.api("POST", "/api/v1/subscriptions", bound, {
      filter: { listing_id: listing.id },
      delivery: { sse: true },
      auto_install: { vault_id: support, version_policy: "latest" },
    });
    expect(made.status).toBe(201);
    await bed.publishVersion(cube.id, "1.1.0", "# Tides\n\nThe ebb runs at five.\n");
    await bed.t.runner.idle();
    const held = (await bed.api("GET", "/api/v1/entitlements?limit=100", owner)).body.items as Array<{
      listing_id: string;
    }>;
    expect(held.map((e) => e.listing_id)).not.toContain(listing.id);
    const installed = (await bed.api("GET", `/api/v1/vaults/${support}/installs`, owner)).body
      .items as Array<{
      listing_id: string;
    }>;
    expect(installed.map((i) => i.listing_id)).not.toContain(listing.id);
  });
});

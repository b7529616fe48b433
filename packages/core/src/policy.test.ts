import { describe, expect, it } from "vitest";
import {
  ACTIONS,
  type Action,
  callPurposes,
  decide,
  decideKeyMint,
  purposeLicensed,
  type Subject,
  VAULT_KEY_SCOPES,
} from "./policy.ts";
import { SCOPES } from "./scopes.ts";
import type { EntitlementState } from "./commerce.ts";

const owner: Subject = { kind: "user", userId: "u1", orgId: "org_a", role: "owner" };
const member: Subject = { kind: "user", userId: "u2", orgId: "org_a", role: "member" };
const agent: Subject = {
  kind: "api_key",
  keyId: "k1",
  orgId: "org_a",
  scopes: ["vault:read"],
  vaultId: null,
  expiresAt: null,
  purposes: [],
};
/** An admin key bound to one vault, expiring at the end of 2030. */
const boundAdmin: Subject = {
  kind: "api_key",
  keyId: "k2",
  orgId: "org_a",
  scopes: ["vault:read", "admin"],
  vaultId: "vault_1",
  expiresAt: new Date("2030-12-31T00:00:00Z"),
  purposes: [],
};

describe("policy", () => {
  it("answers not_found, never forbidden, for another organisation's object", () => {
    expect(decide(owner, "cube.read", { orgId: "org_b" })).toMatchObject({ allow: false, code: "not_found" });
  });

  it("requires the action's scope from an API key", () => {
    expect(decide(agent, "vault.search", { orgId: "org_a" })).toEqual({ allow: true });
    expect(decide(agent, "memory.write", { orgId: "org_a" })).toMatchObject({
      allow: false,
      code: "forbidden",
      reason: expect.stringContaining("vault:write"),
    });
  });

  it("requires the action's role from a user", () => {
    expect(decide(owner, "key.manage", { orgId: "org_a" })).toEqual({ allow: true });
    expect(decide(member, "key.manage", { orgId: "org_a" })).toMatchObject({
      allow: false,
      code: "forbidden",
    });
    expect(decide(member, "cube.write", { orgId: "org_a" })).toMatchObject({
      allow: false,
      code: "forbidden",
    });
  });

  it("hides other vaults from a key bound to one vault", () => {
    const bound: Subject = { ...agent, vaultId: "vault_1" };
    expect(decide(bound, "vault.search", { orgId: "org_a", vaultId: "vault_1" })).toEqual({ allow: true });
    expect(decide(bound, "vault.search", { orgId: "org_a", vaultId: "vault_2" })).toMatchObject({
      code: "not_found",
    });
  });

  it("licenses a call by the purpose it states, else its key's; a purposed key mints only within its purposes", () => {
    const researcher: Subject = { ...agent, purposes: ["research", "audit"] };
    expect(callPurposes(researcher)).toEqual(["research", "audit"]);
    expect(callPurposes({ ...researcher, purpose: "audit" })).toEqual(["audit"]);
    expect(callPurposes(owner)).toEqual([]);
    expect(purposeLicensed(undefined, [])).toBe(true);
    expect(purposeLicensed([], [])).toBe(true);
    expect(purposeLicensed(["research"], [])).toBe(false);
    expect(purposeLicensed(["research"], ["audit", "research"])).toBe(true);
    const mint = (purposes?: string[]) =>
      decideKeyMint(researcher, { scopes: ["vault:read"], vaultId: null, expiresAt: null, purposes });
    expect(mint(["research"])).toEqual({ allow: true });
    expect(mint(["marketing"])).toMatchObject({ allow: false, code: "forbidden" });
    expect(mint([])).toMatchObject({ allow: false, code: "forbidden" });
    expect(decideKeyMint(agent, { scopes: ["vault:read"], vaultId: null, expiresAt: null })).toEqual({
      allow: true,
    });
  });

  it("demands a live entitlement when the context carries one", () => {
    const now = new Date("2026-01-10T00:00:00Z");
    const ctx = (validUntil: Date | null, revokedAt: Date | null, state: EntitlementState = "active") => ({
      now,
      entitlement: { validUntil, revokedAt, state },
    });
    expect(decide(owner, "vault.write", {}, ctx(null, null))).toEqual({ allow: true });
    expect(decide(owner, "vault.write", {}, ctx(new Date("2026-01-01Z"), null))).toMatchObject({
      code: "entitlement_inactive",
      reason: "the entitlement has expired",
    });
    expect(decide(owner, "vault.write", {}, ctx(null, new Date("2026-01-02Z")))).toMatchObject({
      code: "entitlement_inactive",
      reason: "the entitlement was revoked",
    });
    // A subscription in its grace period still works; one canceled (or expired) does not.
    expect(decide(owner, "vault.write", {}, ctx(null, null, "past_due"))).toEqual({ allow: true });
    expect(decide(owner, "vault.write", {}, ctx(null, null, "canceled"))).toMatchObject({
      code: "entitlement_inactive",
      reason: "the entitlement is canceled",
    });
    expect(decide(owner, "vault.write", {}, { entitlement: null })).toMatchObject({
      code: "entitlement_required",
    });
  });

  it("keeps a vault-bound key out of organisation-wide objects and secrets", () => {
    expect(decide(boundAdmin, "key.manage", { orgId: "org_a", vaultId: "vault_1" })).toEqual({ allow: true });
    expect(decide(boundAdmin, "key.manage", { orgId: "org_a", vaultId: null })).toMatchObject({
      allow: false,
      code: "not_found",
    });
    expect(decide(boundAdmin, "publisher_key.read")).toMatchObject({ allow: false, code: "forbidden" });
    expect(decide({ ...boundAdmin, vaultId: null }, "publisher_key.read")).toEqual({ allow: true });
    expect(decide(owner, "publisher_key.read")).toEqual({ allow: true });
  });

  it("lets a key mint only keys no wider than itself", () => {
    const within = { scopes: ["vault:read"] as const, vaultId: "vault_1", expiresAt: new Date("2030-01-01") };
    expect(decideKeyMint(boundAdmin, within)).toEqual({ allow: true });
    for (const wider of [
      { ...within, scopes: ["vault:read", "vault:write"] as const },
      { ...within, vaultId: null },
      { ...within, vaultId: "vault_2" },
      { ...within, expiresAt: null },
      { ...within, expiresAt: new Date("2031-01-01") },
    ]) {
      expect(decideKeyMint(boundAdmin, wider)).toMatchObject({ allow: false, code: "forbidden" });
    }
    // People manage keys by their role; an unbound, unexpiring key may bind and date what it mints.
    expect(decideKeyMint(owner, { scopes: ["admin"], vaultId: null, expiresAt: null })).toEqual({
      allow: true,
    });
    expect(decideKeyMint({ ...agent, scopes: ["vault:read", "admin"] }, within)).toEqual({ allow: true });
  });

  it("refuses a key bound to a vault every organisation-wide action, whatever its scopes", () => {
    const everything: Subject = { ...boundAdmin, scopes: [...SCOPES], expiresAt: null };
    const actions = Object.keys(ACTIONS) as Action[];
    const orgWide = actions.filter((a) => ACTIONS[a].reach === "organisation");
    expect(orgWide).toEqual(
      expect.arrayContaining(["cube.write", "listing.write", "store.acquire", "usage.read", "payouts.read"]),
    );
    for (const action of orgWide) {
      expect(decide(everything, action, { orgId: "org_a" }), action).toMatchObject({
        allow: false,
        code: "forbidden",
        reason: expect.stringContaining("whole organisation"),
      });
      expect(decide({ ...everything, vaultId: null }, action, { orgId: "org_a" }), action).toEqual({
        allow: true,
      });
    }
    for (const action of actions.filter((a) => ACTIONS[a].reach === "vault"))
      expect(decide(everything, action, { orgId: "org_a", vaultId: "vault_1" }), action).toEqual({
        allow: true,
      });
  });

  it("never mints a vault-bound key with a scope that only organisation-wide actions use", () => {
    expect(VAULT_KEY_SCOPES).toEqual(["subscribe", "vault:read", "vault:write", "admin"]);
    const bound = { scopes: ["vault:read", "publish"] as const, vaultId: "vault_1", expiresAt: null };
    for (const minter of [owner, { ...boundAdmin, scopes: [...SCOPES], expiresAt: null }])
      expect(decideKeyMint(minter, bound)).toMatchObject({
        allow: false,
        code: "invalid_input",
        reason: expect.stringContaining("'publish'"),
      });
    expect(decideKeyMint(owner, { ...bound, vaultId: null })).toEqual({ allow: true });
  });
});

import { Readable } from "node:stream";
import { addMember, signUp } from "@memstore/api/identity";
import { uploadPayload } from "@memstore/api/catalog";
import { ROLES, type Role, type Subject } from "@memstore/core";
import { createCaller } from "../apps/web/src/trpc/root.ts";
import { TRPCError } from "@trpc/server";
import { entitlements } from "@memstore/db";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext, type TestContext } from "./support/context.ts";

/**
 * Every tRPC procedure that changes state, called by each role of the organisation: the roles
 * allowed below succeed, every other role is refused with FORBIDDEN and nothing changes. The
 * table is the product's spec, written out here, not read from the policy code.
 */
type Api = ReturnType<typeof createCaller>;
type Case = {
  allowed: readonly Role[];
  /** Makes what the call needs (as the owner) and returns the call itself. */
  prepare(owner: Api, n: string): Promise<(api: Api) => Promise<unknown>>;
};

const MANAGERS = ["owner", "admin"] as const;
const WRITERS = ["owner", "admin", "publisher"] as const;
const MEMBERS = ["owner", "admin", "publisher", "member"] as const;

let t: TestContext;
let owner: Api;
const callers = {} as Record<Role, Api>;
let listingId = "";

const markdown = "# Field notes\n\nCrampons go on before the ice step.\n";

/** A cube whose 1.0.0 is ready, made through the procedures plus the payload upload (REST/tus in the product). */
async function readyCube(api: Api, owner: Subject, slug: string) {
  const cube = await api.publishing.createCube({ slug, type: "plaintext", title: slug });
  await draftWithPayload(api, owner, cube.id);
  await api.publishing.submitVersion({ cube_id: cube.id, version: "1.0.0" });
  await t.runner.idle();
  return cube;
}

async function draftWithPayload(api: Api, owner: Subject, cubeId: string) {
  const version = await api.publishing.createVersion({ cube_id: cubeId, version: "1.0.0" });
  await uploadPayload(
    t.ctx,
    owner,
    { versionId: version.id },
    Readable.from([Buffer.from(markdown)]),
    "text/markdown",
  );
}

/** Signs up a new account and adds it to the organisation (as the owner); returns its user id. */
async function joinAs(o: Api, n: string, role: Role) {
  const user = await signUp(t.ctx, {
    name: n,
    email: `${n}@joiner.example.com`,
    password: "long enough",
    organization: `${n} org`,
  });
  await o.members.add({ email: `${n}@joiner.example.com`, role });
  return user.user_id;
}

let orgId = "";
let ownerUserId = "";
let ownerSubject: Subject;
/** Another organisation, which sells to Authz Co and asks Authz Co for access. */
let seller: { api: Api; subject: Subject };

/** A published listing sold on request (`access: "request"`), of `api`'s organisation. */
async function onRequestListing(api: Api, subject: Subject, slug: string) {
  const cube = await readyCube(api, subject, slug);
  const listing = await api.publishing.createListing({
    cube_id: cube.id,
    visibility: "public",
    access: "request",
    pricing: { model: "free" },
    terms: {},
  });
  await api.publishing.publishListing({ id: listing.id });
  return listing;
}

/** A pending request of the seller's organisation to a new listing of Authz Co sold on request. */
async function pendingRequest(o: Api, n: string) {
  const listing = await onRequestListing(o, ownerSubject, `req-${n}`);
  return seller.api.store.requestAccess({ id: listing.id, message: "for our support agents" });
}

/** Moves an organisation's entitlements to a listing 8 days back: it has held it a week. */
async function heldAWeek(org: string, listing: string) {
  await t.ctx.db
    .update(entitlements)
    .set({ validFrom: sql`now() - interval '8 days'` })
    .where(and(eq(entitlements.orgId, org), eq(entitlements.listingId, listing)));
}

let ownListing: Promise<string> | undefined;
/** A review by a new organisation (which held it a week) of a listing of Authz Co's. */
async function reviewOfOwnListing(o: Api, n: string) {
  ownListing ??= (async () => {
    const cube = await readyCube(o, ownerSubject, "reviewed-cube");
    const listing = await o.publishing.createListing({
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: {},
    });
    await o.publishing.publishListing({ id: listing.id });
    return listing.id;
  })();
  const listing = await ownListing;
  const made = await signUp(t.ctx, {
    name: n,
    email: `${n}@reviewer.example.com`,
    password: "long enough",
    organization: `${n} org`,
  });
  const reviewer = createCaller({ app: t.ctx, userId: made.user_id, orgId: made.org_id });
  await reviewer.store.acquire({ id: listing });
  await heldAWeek(made.org_id, listing);
  return (await reviewer.store.writeReview({ id: listing, rating: 3, title: "Fine", body: "Does the job." }))
    .review;
}

const CASES: Record<string, Case> = {
  "keys.create": {
    allowed: MANAGERS,
    prepare: async () => (api) => api.keys.create({ name: "k", scopes: ["vault:read"] }),
  },
  "keys.revoke": {
    allowed: MANAGERS,
    prepare: async (o) => {
      const key = await o.keys.create({ name: "to revoke", scopes: ["vault:read"] });
      return (api) => api.keys.revoke({ id: key.id });
    },
  },
  "members.add": {
    allowed: MANAGERS,
    prepare: async (_o, n) => {
      await signUp(t.ctx, {
        name: n,
        email: `${n}@join.example.com`,
        password: "long enough",
        organization: `${n} org`,
      });
      return (api) => api.members.add({ email: `${n}@join.example.com`, role: "member" });
    },
  },
  "members.changeRole": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const joiner = await joinAs(o, n, "member");
      return (api) => api.members.changeRole({ user_id: joiner, role: "auditor" });
    },
  },
  "members.remove": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const joiner = await joinAs(o, n, "member");
      return (api) => api.members.remove({ user_id: joiner });
    },
  },
  "publishing.createCube": {
    allowed: WRITERS,
    prepare: async (_o, n) => (api) =>
      api.publishing.createCube({ slug: `cube-${n}`, type: "plaintext", title: n }),
  },
  "publishing.createVersion": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await o.publishing.createCube({ slug: `ver-${n}`, type: "plaintext", title: n });
      return (api) => api.publishing.createVersion({ cube_id: cube.id, version: "1.0.0" });
    },
  },
  "publishing.submitVersion": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await o.publishing.createCube({ slug: `sub-${n}`, type: "plaintext", title: n });
      await draftWithPayload(o, ownerSubject, cube.id);
      return (api) => api.publishing.submitVersion({ cube_id: cube.id, version: "1.0.0" });
    },
  },
  "publishing.createListing": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `lst-${n}`);
      return (api) =>
        api.publishing.createListing({
          cube_id: cube.id,
          visibility: "public",
          pricing: { model: "free" },
          terms: {},
        });
    },
  },
  "publishing.publishListing": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `pub-${n}`);
      const listing = await o.publishing.createListing({
        cube_id: cube.id,
        visibility: "public",
        pricing: { model: "free" },
        terms: {},
      });
      return (api) => api.publishing.publishListing({ id: listing.id });
    },
  },
  "commerce.updateListing": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `edit-${n}`);
      const listing = await o.publishing.createListing({
        cube_id: cube.id,
        visibility: "public",
        pricing: { model: "free" },
        terms: {},
      });
      return (api) =>
        api.commerce.updateListing({
          id: listing.id,
          changes: { pricing: { model: "one_time", amount_cents: 900, currency: "eur" } },
        });
    },
  },
  "commerce.listingStatus": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `sus-${n}`);
      const listing = await o.publishing.createListing({
        cube_id: cube.id,
        visibility: "public",
        pricing: { model: "free" },
        terms: {},
      });
      await o.publishing.publishListing({ id: listing.id });
      return (api) => api.commerce.listingStatus({ id: listing.id, transition: "suspend" });
    },
  },
  "publishing.yankVersion": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `yank-${n}`);
      return (api) =>
        api.publishing.yankVersion({
          cube_id: cube.id,
          version: "1.0.0",
          reason: "wrong",
          severity: "normal",
        });
    },
  },
  "publishing.attachEvalSet": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await o.publishing.createCube({ slug: `eval-${n}`, type: "plaintext", title: n });
      await o.publishing.createVersion({ cube_id: cube.id, version: "1.0.0" });
      const ndjson = '{"question":"When do crampons go on?","expect":{"contains":"ice step"}}\n';
      return (api) => api.publishing.attachEvalSet({ cube_id: cube.id, version: "1.0.0", ndjson });
    },
  },
  "publishing.releaseVersion": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `release-${n}`);
      // Nothing held it: past authorization, a release is refused as a conflict.
      return (api) =>
        api.publishing.releaseVersion({ cube_id: cube.id, version: "1.0.0" }).catch((error: unknown) => {
          if (error instanceof TRPCError && error.code === "CONFLICT") return null;
          throw error;
        });
    },
  },
  "publishing.unyankVersion": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const cube = await readyCube(o, ownerSubject, `unyank-${n}`);
      await o.publishing.yankVersion({
        cube_id: cube.id,
        version: "1.0.0",
        reason: "wrong",
        severity: "normal",
      });
      return (api) => api.publishing.unyankVersion({ cube_id: cube.id, version: "1.0.0" });
    },
  },
  "store.acquire": {
    allowed: MANAGERS,
    prepare: async () => (api) => api.store.acquire({ id: listingId }),
  },
  "vaults.create": {
    allowed: MANAGERS,
    prepare: async (_o, n) => (api) => api.vaults.create({ name: `vault-${n}` }),
  },
  "vaults.install": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `inst-${n}` });
      return (api) =>
        api.vaults.install({ vault_id: vault.id, listing_id: listingId, version_policy: "latest" });
    },
  },
  "vaults.upgrade": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `upg-${n}` });
      const install = await o.vaults.install({
        vault_id: vault.id,
        listing_id: listingId,
        version_policy: "latest",
      });
      return (api) =>
        api.vaults.upgrade({ vault_id: vault.id, install_id: install.id, version_policy: "1.0.0" });
    },
  },
  "vaults.uninstall": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `uni-${n}` });
      const install = await o.vaults.install({
        vault_id: vault.id,
        listing_id: listingId,
        version_policy: "latest",
      });
      return (api) => api.vaults.uninstall({ vault_id: vault.id, install_id: install.id });
    },
  },
  "vaults.rollback": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `rb-${n}` });
      const install = await o.vaults.install({
        vault_id: vault.id,
        listing_id: listingId,
        version_policy: "latest",
      });
      // The install has held no other version: past authorization, a rollback is refused as a conflict.
      return (api) =>
        api.vaults.rollback({ vault_id: vault.id, install_id: install.id }).catch((error: unknown) => {
          if (error instanceof TRPCError && error.code === "CONFLICT") return null;
          throw error;
        });
    },
  },
  "vaults.freeze": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `frz-${n}` });
      return (api) => api.vaults.freeze({ vault_id: vault.id, reason: "legal hold" });
    },
  },
  "vaults.unfreeze": {
    allowed: MANAGERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `unf-${n}` });
      await o.vaults.freeze({ vault_id: vault.id, reason: "legal hold" });
      return (api) => api.vaults.unfreeze({ vault_id: vault.id });
    },
  },
  "vaults.createMemory": {
    allowed: MEMBERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `mem-${n}` });
      return (api) => api.vaults.createMemory({ vault_id: vault.id, text: "the hut key is under the stone" });
    },
  },
  "vaults.updateMemory": {
    allowed: MEMBERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `upd-${n}` });
      const memory = await o.vaults.createMemory({ vault_id: vault.id, text: "first" });
      return (api) =>
        api.vaults.updateMemory({ vault_id: vault.id, memory_id: memory.id, changes: { text: "second" } });
    },
  },
  "vaults.mergeMemories": {
    allowed: MEMBERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `mrg-${n}` });
      const a = await o.vaults.createMemory({ vault_id: vault.id, text: "the hut key" });
      const b = await o.vaults.createMemory({ vault_id: vault.id, text: "is under the stone" });
      return (api) => api.vaults.mergeMemories({ vault_id: vault.id, memory_ids: [a.id, b.id] });
    },
  },
  "vaults.restoreMemory": {
    allowed: MEMBERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `rst-${n}` });
      const memory = await o.vaults.createMemory({ vault_id: vault.id, text: "archived, then back" });
      await o.vaults.archiveMemory({ vault_id: vault.id, memory_id: memory.id });
      return (api) => api.vaults.restoreMemory({ vault_id: vault.id, memory_id: memory.id });
    },
  },
  "store.tryListing": {
    // Asking costs the organisation a question of the day: any member may, an auditor too.
    allowed: ROLES,
    prepare: async () => (api) =>
      api.store.tryListing({ id: listingId, questions: ["when do crampons go on?"] }),
  },
  "store.writeReview": {
    // A review speaks for the organisation: its owners and admins write and edit it.
    allowed: MANAGERS,
    prepare: async () => {
      await heldAWeek(orgId, listingId);
      return (api) =>
        api.store.writeReview({ id: listingId, rating: 4, title: "Good", body: "Clear notes." });
    },
  },
  "store.replyToReview": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const review = await reviewOfOwnListing(o, n);
      return (api) => api.store.replyToReview({ id: review.id, body: "Thank you." });
    },
  },
  "store.reportReview": {
    // Anyone signed in may report a review.
    allowed: ROLES,
    prepare: async (o, n) => {
      const review = await reviewOfOwnListing(o, n);
      return (api) => api.store.reportReview({ id: review.id, reason: "Off topic." });
    },
  },
  "store.requestAccess": {
    allowed: MANAGERS,
    prepare: async (_o, n) => {
      const listing = await onRequestListing(seller.api, seller.subject, `ask-${n}`);
      return (api) => api.store.requestAccess({ id: listing.id, message: "for our support agents" });
    },
  },
  "commerce.approveAccess": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const request = await pendingRequest(o, n);
      return (api) => api.commerce.approveAccess({ request_id: request.id });
    },
  },
  "commerce.denyAccess": {
    allowed: WRITERS,
    prepare: async (o, n) => {
      const request = await pendingRequest(o, n);
      return (api) => api.commerce.denyAccess({ request_id: request.id, reason: "not this quarter" });
    },
  },
  "vaults.archiveMemory": {
    allowed: MEMBERS,
    prepare: async (o, n) => {
      const vault = await o.vaults.create({ name: `arc-${n}` });
      const memory = await o.vaults.createMemory({ vault_id: vault.id, text: "to archive" });
      return (api) => api.vaults.archiveMemory({ vault_id: vault.id, memory_id: memory.id });
    },
  },
};

beforeAll(async () => {
  t = await openTestContext("postgres");
  const created = await signUp(t.ctx, {
    name: "Olga Owner",
    email: "owner@authz.example.com",
    password: "long enough",
    organization: "Authz Co",
  });
  orgId = created.org_id;
  ownerUserId = created.user_id;
  callers.owner = createCaller({ app: t.ctx, userId: ownerUserId, orgId });
  owner = callers.owner;
  ownerSubject = { kind: "user", userId: ownerUserId, orgId, role: "owner" };
  for (const role of ROLES.filter((r) => r !== "owner")) {
    const user = await signUp(t.ctx, {
      name: role,
      email: `${role}@authz.example.com`,
      password: "long enough",
      organization: `${role}'s own org`,
    });
    await addMember(t.ctx, ownerSubject, { email: `${role}@authz.example.com`, role });
    callers[role] = createCaller({ app: t.ctx, userId: user.user_id, orgId });
  }
  // A free listing of another organisation, for acquiring and installing.
  const sold = await signUp(t.ctx, {
    name: "S",
    email: "s@seller.example.com",
    password: "long enough",
    organization: "Seller",
  });
  const sellerApi = createCaller({ app: t.ctx, userId: sold.user_id, orgId: sold.org_id });
  const sellerSubject: Subject = { kind: "user", userId: sold.user_id, orgId: sold.org_id, role: "owner" };
  seller = { api: sellerApi, subject: sellerSubject };
  const cube = await readyCube(sellerApi, sellerSubject, "seller-cube");
  const listing = await sellerApi.publishing.createListing({
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "free" },
    terms: {},
  });
  await sellerApi.publishing.publishListing({ id: listing.id });
  listingId = listing.id;
  await owner.store.acquire({ id: listingId });
}, 120_000);
afterAll(async () => t?.dispose());

describe("tRPC authorization: each role × each procedure that changes state", () => {
  for (const [procedure, spec] of Object.entries(CASES)) {
    it(`${procedure}: allowed for ${spec.allowed.join(", ")}; FORBIDDEN for the rest`, async () => {
      for (const role of ROLES) {
        const call = await spec.prepare(owner, `${procedure.replace(/\W/g, "-").toLowerCase()}-${role}`);
        const outcome = await call(callers[role]).then(
          () => "ok",
          (error: unknown) => (error instanceof TRPCError ? error.code : String(error)),
        );
        expect({ role, outcome }).toEqual({
          role,
          outcome: spec.allowed.includes(role as never) ? "ok" : "FORBIDDEN",
        });
      }
    });
  }

  it("refuses every procedure without a session (UNAUTHORIZED) but sign-up and browsing the store", async () => {
    const anonymous = createCaller({ app: t.ctx, userId: null, orgId: null });
    await expect(anonymous.keys.create({ name: "k", scopes: ["vault:read"] })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(anonymous.vaults.list({ limit: 10 })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(
      anonymous.account.signUp({
        name: "N",
        email: "new@authz.example.com",
        password: "long enough",
        organization: "New",
      }),
    ).resolves.toMatchObject({ org_id: expect.stringMatching(/^org_/) });
  });

  it("lets anyone browse the store, as no organisation: public listings only, nothing held or owned", async () => {
    const anonymous = createCaller({ app: t.ctx, userId: null, orgId: null });
    const found = await anonymous.store.search({ limit: 50 });
    expect(found.items.map((l) => l.id)).toContain(listingId);
    const listing = await anonymous.store.listing({ id: listingId });
    expect(listing).toMatchObject({ id: listingId, own: false, entitled: null, offers: [] });
    expect(await anonymous.commerce.mode()).toEqual({ payments: false, test_mode: false });
    await expect(anonymous.store.acquire({ id: listingId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.commerce.billing()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.commerce.sales({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("acts in the requested organisation only when the user belongs to it", async () => {
    const outsider = await (
      await import("@memstore/api/identity")
    ).signUp(t.ctx, {
      name: "Out",
      email: "out@authz.example.com",
      password: "long enough",
      organization: "Outside",
    });
    // Asking for Authz Co's id falls back to the outsider's own organisation: Authz Co's vaults stay invisible.
    const api = createCaller({ app: t.ctx, userId: outsider.user_id, orgId });
    const me = await api.account.me();
    expect(me.active_org_id).toBe(outsider.org_id);
    expect((await api.vaults.list({ limit: 200 })).items).toEqual([]);
  });
});

describe("member management rules", () => {
  it("keeps the owner role for owners to give and take, and always leaves an owner", async () => {
    const admin = callers.admin;
    const second = await joinAs(owner, "second-owner", "member");
    // An admin manages the other roles, never the owner role.
    await expect(admin.members.changeRole({ user_id: second, role: "owner" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(admin.members.changeRole({ user_id: ownerUserId, role: "member" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(admin.members.remove({ user_id: ownerUserId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // The only owner cannot step down or leave…
    await expect(owner.members.changeRole({ user_id: ownerUserId, role: "admin" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("at least one owner"),
    });
    await expect(owner.members.remove({ user_id: ownerUserId })).rejects.toMatchObject({ code: "CONFLICT" });
    // …until someone else is owner too.
    await owner.members.changeRole({ user_id: second, role: "owner" });
    const secondApi = createCaller({ app: t.ctx, userId: second, orgId });
    await secondApi.members.changeRole({ user_id: ownerUserId, role: "admin" });
    expect((await owner.account.me()).role).toBe("admin");
    await secondApi.members.changeRole({ user_id: ownerUserId, role: "owner" });
    await secondApi.members.remove({ user_id: second });

    // The removed account keeps its own organisation and no longer sees this one.
    const after = await secondApi.account.me();
    expect(after.organizations.map((o) => o.org_id)).not.toContain(orgId);
    expect(after.active_org_id).not.toBe(orgId);
    const audit = await owner.audit.list({ action: "member.role_changed", limit: 50 });
    expect(audit.items.map((r) => (r.data as { to: string }).to)).toEqual(
      expect.arrayContaining(["owner", "admin"]),
    );
    expect((await owner.audit.list({ action: "member.removed", limit: 50 })).items.length).toBeGreaterThan(0);
  });

  it("answers NOT_FOUND for someone who is not a member, and pages the member list", async () => {
    const stranger = await signUp(t.ctx, {
      name: "Stranger",
      email: "stranger@authz.example.com",
      password: "long enough",
      organization: "Elsewhere",
    });
    await expect(
      owner.members.changeRole({ user_id: stranger.user_id, role: "member" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const first = await owner.members.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const rest = await owner.members.list({ limit: 200, cursor: first.next_cursor! });
    const all = [...first.items, ...rest.items].map((m) => m.user_id);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain(ownerUserId);
  });
});

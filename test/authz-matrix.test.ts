import { SCOPES, type Scope, VAULT_KEY_SCOPES } from "@memstore/core";
import { apiKeys, entitlements, vaults } from "@memstore/db";
import { eq, sql } from "drizzle-orm";
import { ROUTES, type Route } from "@memstore/web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Call, type Expect, type Hides, MATRIX, ORG_WIDE, type World } from "./support/authz-rows.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { sleep } from "./support/wait.ts";

/**
 * The authorization matrix, generated from the route table: every REST route is called with no key,
 * a revoked key, an expired key, a key without the route's scope, a key with every scope bound to
 * another vault, one with every scope bound to the vault the call aims at, and aimed at another
 * organisation's object, and must answer each as its row says — then answer the organisation's own
 * full key, so a refusal is known to come from the key and not the request. A route without a row,
 * or a row without a route, fails.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let owner: string;
let rival: string;
let world: World;
const keys = { revoked: "", expired: "", bound: "", inVault: "", lacking: new Map<string, string>() };
const tally = { calls: 0 };

const routeKey = (r: Route) => `${r.method} ${r.path}`;
const MARKDOWN = "# Berths\n\nBerth 4 closes at 22:00 when the wind is over 40 knots.\n";

/** A JSON call that must succeed; its body. */
async function made(key: string, method: string, path: string, body?: unknown, status = [200, 201, 202]) {
  const answer = await bed.api(method, path, key, body);
  if (!status.includes(answer.status)) throw new Error(`${method} ${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function upload(key: string, cubeId: string, version: string) {
  const response = await fetch(`${bed.server.url}/api/v1/cubes/${cubeId}/versions/${version}/payload`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": "text/markdown" },
    body: MARKDOWN,
  });
  if (response.status !== 200) throw new Error(`upload: ${await response.text()}`);
}

let counter = 0;
const name = () => `matrix-${++counter}`;

async function makeWorld(): Promise<World> {
  const a = (method: string, path: string, body?: unknown) => made(owner, method, path, body);
  const b = (method: string, path: string, body?: unknown) => made(rival, method, path, body);
  const vault = (await a("POST", "/api/v1/vaults", { name: "support" })).id;
  const boundVault = (await a("POST", "/api/v1/vaults", { name: "research" })).id;
  const { cube, listing } = await bed.listedCube("harbour-cranes", "# Cranes\n\nStorm cranes are lashed.\n");
  // A publisher holds its own listing without acquiring it: installing it is its grant.
  const install = (await a("POST", `/api/v1/vaults/${vault}/installs`, { listing_id: listing.id })).id;
  const subscription = (into?: string) =>
    a("POST", "/api/v1/subscriptions", {
      filter: { listing_id: listing.id },
      delivery: { sse: true },
      ...(into ? { auto_install: { vault_id: into, version_policy: "latest" } } : {}),
    }).then((s) => s.id as string);
  const draft = async (uploaded = false) => {
    const made = await a("POST", "/api/v1/cubes", { slug: name(), type: "plaintext", title: "Draft" });
    await a("POST", `/api/v1/cubes/${made.id}/versions`, { version: "1.0.0" });
    if (uploaded) await upload(owner, made.id, "1.0.0");
    return made.id as string;
  };
  // B publishes a listing of its ready cube, and A holds it.
  const heldByA = async () => {
    const listed = await b("POST", "/api/v1/listings", {
      cube_id: bCube,
      visibility: "public",
      pricing: { model: "free" },
    });
    await b("POST", `/api/v1/listings/${listed.id}/publish`);
    const held = (await a("POST", `/api/v1/store/listings/${listed.id}/acquire`)).entitlement;
    return { entitlement: held.id as string, listing: held.listing_id as string };
  };
  // B's listing sold on request, and A's pending request for it.
  const bRequestedByA = async () => {
    const listed = await b("POST", "/api/v1/listings", {
      cube_id: bCube,
      visibility: "public",
      pricing: { model: "free" },
      access: "request",
    });
    await b("POST", `/api/v1/listings/${listed.id}/publish`);
    return (await a("POST", `/api/v1/store/listings/${listed.id}/access-requests`, { message: "may we?" }))
      .id as string;
  };
  const holder = async () => {
    const key = await bed.organization(name(), `${name()}@holders.example.com`);
    return (await made(key, "POST", `/api/v1/store/listings/${listing.id}/acquire`)).entitlement.id as string;
  };
  // A's listing sold on request, which fresh organisations ask for; and B's, which A asks for.
  const onRequest = (
    await a("POST", "/api/v1/listings", {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      access: "request",
    })
  ).id as string;
  await a("POST", `/api/v1/listings/${onRequest}/publish`);
  const accessRequest = async () => {
    const key = await bed.organization(name(), `${name()}@askers.example.com`);
    return (
      await made(key, "POST", `/api/v1/store/listings/${onRequest}/access-requests`, { message: "may we?" })
    ).id as string;
  };
  // An entitlement held for a week: its organisation may review the listing.
  const heldAWeek = (entitlementId: string) =>
    bed.t.ctx.db
      .update(entitlements)
      .set({ validFrom: sql`now() - interval '8 days'` })
      .where(eq(entitlements.id, entitlementId));
  // B's fresh listing that A has held for a week: A may review it.
  const reviewable = async () => {
    const held = await heldByA();
    await heldAWeek(held.entitlement);
    return held.listing;
  };
  // A fresh organisation's review of A's listing, held for a week: A's to reply to.
  const review = async () => {
    const key = await bed.organization(name(), `${name()}@reviewers.example.com`);
    const held = (await made(key, "POST", `/api/v1/store/listings/${listing.id}/acquire`)).entitlement;
    await heldAWeek(held.id);
    const body = { rating: 4, title: "Solid", body: "Answers our crane questions." };
    return (await made(key, "POST", `/api/v1/store/listings/${listing.id}/reviews`, body)).id as string;
  };
  const freshVault = async () => (await a("POST", "/api/v1/vaults", { name: name() })).id as string;

  // B: a ready cube (and a draft of its next version), a draft listing, a vault with a memory and
  // an install, a subscription, a key and a base model.
  const bVault = (await b("POST", "/api/v1/vaults", { name: "support" })).id;
  const bCube = (await b("POST", "/api/v1/cubes", { slug: "rival-notes", type: "plaintext", title: "Notes" }))
    .id;
  await b("POST", `/api/v1/cubes/${bCube}/versions`, { version: "1.0.0" });
  await upload(rival, bCube, "1.0.0");
  await b("POST", `/api/v1/cubes/${bCube}/versions/1.0.0/submit`);
  await bed.t.runner.idle();
  await b("POST", `/api/v1/cubes/${bCube}/versions`, { version: "1.1.0" });
  await b("POST", `/api/v1/store/listings/${listing.id}/acquire`);

  return {
    a: {
      vault,
      boundVault,
      cube: cube.id,
      listing: listing.id,
      memory: (await a("POST", `/api/v1/vaults/${vault}/memories`, { text: "Gate 7 is closed." })).id,
      install,
      model: await bed.registerTinyModel("harbour/tiny", owner),
      spareKey: (await a("POST", "/api/v1/keys", { name: "spare", scopes: ["vault:read"] })).id,
      vaultSubscription: await subscription(vault),
    },
    b: {
      slug: "rival",
      vault: bVault,
      cube: bCube,
      draftListing: (
        await b("POST", "/api/v1/listings", {
          cube_id: bCube,
          visibility: "public",
          pricing: { model: "free" },
        })
      ).id,
      memory: (await b("POST", `/api/v1/vaults/${bVault}/memories`, { text: "Quay 2 is ours." })).id,
      install: (await b("POST", `/api/v1/vaults/${bVault}/installs`, { listing_id: listing.id })).id,
      subscription: (
        await b("POST", "/api/v1/subscriptions", {
          filter: { listing_id: listing.id },
          delivery: { sse: true },
        })
      ).id,
      key: (await b("POST", "/api/v1/keys", { name: "rival spare", scopes: ["vault:read"] })).id,
      model: await bed.registerTinyModel("rival/tiny", rival),
      entitlement: (await b("GET", "/api/v1/entitlements")).items[0].id,
      ...(await heldByA().then((h) => ({ heldByA: h.entitlement, listedForA: h.listing }))),
      accessRequest: await bRequestedByA(),
      review: await review(),
      context: (await b("POST", `/api/v1/vaults/${bVault}/context`, { query: "quay", max_tokens: 100 })).id,
      reviewedByA: await (async () => {
        const listed = await reviewable();
        const body = { rating: 2, title: "Thin", body: "Not much on rival notes." };
        return (await a("POST", `/api/v1/store/listings/${listed}/reviews`, body)).id as string;
      })(),
    },
    fresh: {
      name,
      draft,
      vault: freshVault,
      memory: async () => (await a("POST", `/api/v1/vaults/${vault}/memories`, { text: name() })).id,
      key: async () => (await a("POST", "/api/v1/keys", { name: name(), scopes: ["vault:read"] })).id,
      listing: async () =>
        (
          await a("POST", "/api/v1/listings", {
            cube_id: cube.id,
            visibility: "public",
            pricing: { model: "free" },
          })
        ).id,
      install: async () => {
        const into = await freshVault();
        const made = await a("POST", `/api/v1/vaults/${into}/installs`, { listing_id: listing.id });
        return { vault: into, install: made.id };
      },
      subscription,
      holder,
      accessRequest,
      reviewable,
      review,
      context: async () =>
        (await a("POST", `/api/v1/vaults/${vault}/context`, { query: "storm cranes", max_tokens: 100 })).id,
      publishedListing: async (suspended = false) => {
        const id = (
          await a("POST", "/api/v1/listings", {
            cube_id: cube.id,
            visibility: "public",
            pricing: { model: "free" },
          })
        ).id as string;
        await a("POST", `/api/v1/listings/${id}/publish`);
        if (suspended) await a("POST", `/api/v1/listings/${id}/suspend`);
        return id;
      },
    },
  };
}

/**
 * A key bound to `vaultId` holding every scope. Such a key is no longer minted (`publish` allows only
 * organisation-wide actions); one minted before that rule still exists, and the policy alone must
 * hold it in its vault: it is made as such a key was, with its scopes widened in the table.
 */
async function everyScopeBoundTo(vaultId: string): Promise<string> {
  const minted = await made(owner, "POST", "/api/v1/keys", {
    name: name(),
    scopes: [...VAULT_KEY_SCOPES],
    vault_id: vaultId,
  });
  await bed.t.ctx.db
    .update(apiKeys)
    .set({ scopes: [...SCOPES] })
    .where(eq(apiKeys.id, minted.id));
  return minted.key as string;
}

/** The scopes that satisfy a route, as its contract declares them (`a|b`: either). */
const scopesOf = (route: Route) => (route.scope ?? "").split("|") as Scope[];

beforeAll(async () => {
  bed = await openHttpTestbed();
  owner = bed.publisherKey;
  rival = await bed.organization("Rival", "owner@rival.example.com");
  const all = [...SCOPES];
  const mint = async (body: Record<string, unknown>) =>
    (await made(owner, "POST", "/api/v1/keys", { name: name(), scopes: all, ...body })).key as string;
  // The expired key's clock runs while the world is made.
  keys.expired = await mint({ expires_at: new Date(Date.now() + 1_500).toISOString() });
  const revoked = await made(owner, "POST", "/api/v1/keys", { name: "revoked", scopes: all });
  await made(owner, "DELETE", `/api/v1/keys/${revoked.id}`, undefined, [204]);
  keys.revoked = revoked.key;
  world = await makeWorld();
  keys.bound = await everyScopeBoundTo(world.a.boundVault);
  keys.inVault = await everyScopeBoundTo(world.a.vault);
  for (const route of ROUTES) {
    if (!route.scope) continue;
    const without = all.filter((s) => !scopesOf(route).includes(s));
    const id = without.join(" ");
    if (!keys.lacking.has(id)) keys.lacking.set(id, await mint({ scopes: without }));
  }
  await sleep(1_600);
}, 180_000);

afterAll(async () => {
  await bed?.close();
  console.log(`authorization matrix: ${ROUTES.length} routes, ${tally.calls} calls`);
});

type Answer = { status: number; code: string | null; text: string };

async function hit(route: Route, call: Call, key: string | null): Promise<Answer> {
  tally.calls++;
  let path = route.path.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = call.params?.[param];
    if (!value) throw new Error(`${routeKey(route)}: the row gives no ${param}`);
    return encodeURIComponent(value);
  });
  if (call.query) path += `?${call.query}`;
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (call.raw) {
    const bytes = call.raw.bytes;
    [headers["content-type"], body] = [
      call.raw.type,
      typeof bytes === "string" ? bytes : new Uint8Array(bytes),
    ];
  } else if (call.body !== undefined)
    [headers["content-type"], body] = ["application/json", JSON.stringify(call.body)];
  const controller = new AbortController();
  const response = await fetch(`${bed.server.url}${path}`, {
    method: route.method,
    headers,
    body,
    signal: controller.signal,
  });
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream")) {
    controller.abort();
    return { status: response.status, code: null, text: "" };
  }
  const text = await response.text();
  if (response.status >= 400)
    expect(type, `${routeKey(route)} ${text}`).toContain("application/problem+json");
  return { status: response.status, code: response.status >= 400 ? JSON.parse(text).code : null, text };
}

function expectAnswer(answer: Answer, expected: Expect | Hides, w: World, what: string) {
  if (typeof expected === "number") return expect(answer.status, `${what}: ${answer.text}`).toBe(expected);
  if (Array.isArray(expected)) {
    const [status, code] = expected as readonly [number, string];
    return expect([answer.status, answer.code], `${what}: ${answer.text}`).toEqual([status, code]);
  }
  const hides = expected as Hides;
  expect(answer.status, `${what}: ${answer.text}`).toBe(hides.status);
  for (const id of hides.hides(w)) expect(answer.text, `${what} shows ${id}`).not.toContain(id);
}

/**
 * The same call by the full key with the vault it aims at frozen (as a freeze leaves it, set in the
 * table and lifted after): a write refused with 423, a read served as before.
 */
async function expectWhenFrozen(
  route: Route,
  call: Call,
  frozen: "refused" | "served" | Expect,
  allowed: Expect | undefined,
) {
  const vaultId = call.params?.vault_id;
  if (!vaultId) throw new Error(`${routeKey(route)}: a frozen answer for a call that names no vault`);
  const hold = (frozenAt: Date | null) =>
    bed.t.ctx.db
      .update(vaults)
      .set({ frozenAt, frozenReason: frozenAt && "matrix", frozenBy: frozenAt && "user:matrix" })
      .where(eq(vaults.id, vaultId));
  await hold(new Date());
  try {
    const expected =
      frozen === "refused"
        ? ([423, "vault_frozen"] as const)
        : frozen === "served"
          ? (allowed ?? route.status)
          : frozen;
    expectAnswer(await hit(route, call, owner), expected, world, "frozen vault");
  } finally {
    await hold(null);
  }
}

describe("the authorization matrix", () => {
  it("has one row per route of the route table, and no row without a route", () => {
    const routes = ROUTES.map(routeKey).sort();
    expect(Object.keys(MATRIX).sort()).toEqual(routes);
    // Every route aiming at a vault says what a frozen one answers.
    for (const route of ROUTES.filter((r) => r.path.includes("{vault_id}")))
      expect(MATRIX[routeKey(route)], `${routeKey(route)}: frozen`).toHaveProperty("frozen");
    for (const route of ROUTES)
      expect(MATRIX[routeKey(route)]?.public === true, routeKey(route)).toBe(!route.scope);
  });

  for (const route of ROUTES) {
    const row = MATRIX[routeKey(route)];
    if (!row) continue;
    it(`${routeKey(route)}`, async () => {
      const w = world;
      if (row.public) {
        for (const key of [null, keys.revoked, keys.expired])
          expectAnswer(await hit(route, row.call(w), key), row.expect ?? route.status, w, "public");
        return;
      }
      const unauthenticated = [401, "unauthenticated"] as const;
      expectAnswer(await hit(route, await row.call(w), null), unauthenticated, w, "no key");
      expectAnswer(await hit(route, await row.call(w), keys.revoked), unauthenticated, w, "revoked key");
      expectAnswer(await hit(route, await row.call(w), keys.expired), unauthenticated, w, "expired key");
      const lacking = keys.lacking.get([...SCOPES].filter((s) => !scopesOf(route).includes(s)).join(" "))!;
      expectAnswer(await hit(route, await row.call(w), lacking), [403, "forbidden"], w, "missing scope");
      const bound = row.otherVault;
      if (typeof bound === "object" && "call" in bound)
        expectAnswer(await hit(route, await bound.call(w), keys.bound), bound.expect, w, "other vault");
      else expectAnswer(await hit(route, await row.call(w), keys.bound), bound, w, "other vault");
      const inVault = bound === ORG_WIDE ? ORG_WIDE : (row.inVault ?? row.allowed ?? route.status);
      if (typeof inVault === "object" && "call" in inVault)
        expectAnswer(await hit(route, await inVault.call(w), keys.inVault), inVault.expect, w, "own vault");
      else expectAnswer(await hit(route, await row.call(w), keys.inVault), inVault, w, "own vault");
      const other = row.otherOrg;
      if (other && "call" in other)
        expectAnswer(await hit(route, await other.call(w), owner), other.expect, w, "other organisation");
      else if (other)
        expectAnswer(await hit(route, await row.call(w), owner), other, w, "other organisation");
      expectAnswer(
        await hit(route, await row.call(w), owner),
        row.allowed ?? route.status,
        w,
        "own full key",
      );
      if (row.frozen) await expectWhenFrozen(route, await row.call(w), row.frozen, row.allowed);
    });
  }

  it("left every object of the other organisation as it was", async () => {
    const { b } = world;
    const get = async (path: string) => (await bed.api("GET", path, rival)).body;
    expect((await get(`/api/v1/vaults/${b.vault}/memories/${b.memory}`)).tags).toEqual([]);
    const vaults = (await get("/api/v1/vaults")).items as Array<{
      id: string;
      desensitise_on_write: boolean;
    }>;
    expect(vaults.find((v) => v.id === b.vault)?.desensitise_on_write).toBe(false);
    expect(JSON.stringify(await get(`/api/v1/vaults/${b.vault}/installs`))).toContain(b.install);
    expect(JSON.stringify(await get("/api/v1/subscriptions"))).toContain(b.subscription);
    const keyList = (await get("/api/v1/keys")).items as Array<{ id: string; revoked_at: string | null }>;
    expect(keyList.find((k) => k.id === b.key)?.revoked_at).toBeNull();
    expect((await get(`/api/v1/cubes/${b.cube}/versions`)).items).toHaveLength(2);
  });
});

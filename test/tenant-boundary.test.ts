import { authenticateApiKey, createApiKey, createOrganization } from "@memstore/api/identity";
import { createCube, getCube } from "@memstore/api/catalog";
import { createVault } from "@memstore/api/vaults";
import type { Subject } from "@memstore/core";
import { cubes, vaults } from "@memstore/db";
import { eq, inArray } from "drizzle-orm";
// The mechanism under test is internal to the services (no transport calls it), so it is imported from its file.
import { authorizedRows, loadAuthorized, orgOf } from "../packages/api/src/kernel/authorize.ts";
import { loadOwnVault } from "../packages/api/src/vaults/vaults.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext, type TestContext } from "./support/context.ts";

/**
 * The policy is a second line behind every query's tenant filter: services load a row, then ask
 * the policy about that row's own organisation and vault. These tests play the bug the second line
 * is for, a query that forgot its `org_id` filter, and show the row is still refused.
 */
let t: TestContext;
let alice: Subject;
let bob: Subject;
let aliceCube: string;
let bobCube: string;
let aliceVaults: string[];
let bobVault: string;

beforeAll(async () => {
  t = await openTestContext("postgres");
  const subjectOf = async (name: string) =>
    authenticateApiKey(
      t.ctx,
      (await createOrganization(t.ctx, { name, ownerEmail: `${name}@example.com` })).api_key,
    );
  alice = await subjectOf("alice");
  bob = await subjectOf("bob");
  const cube = (subject: Subject, slug: string) =>
    createCube(t.ctx, subject, { slug, type: "plaintext", title: slug });
  aliceCube = (await cube(alice, "alice-notes")).id;
  bobCube = (await cube(bob, "bob-notes")).id;
  aliceVaults = [
    (await createVault(t.ctx, alice, { name: "support" })).id,
    (await createVault(t.ctx, alice, { name: "research" })).id,
  ];
  bobVault = (await createVault(t.ctx, bob, { name: "support" })).id;
});

afterAll(async () => {
  await t?.dispose();
});

/** The query a careless loader might write: by id only, no tenant filter. */
const cubeById = (id: string) => () => t.ctx.db.select().from(cubes).where(eq(cubes.id, id));
const vaultById = (id: string) => () => t.ctx.db.select().from(vaults).where(eq(vaults.id, id));
const ownerOfVault = (v: { orgId: string; id: string }) => ({ orgId: v.orgId, vaultId: v.id });

describe("the policy as the second line of the tenant boundary", () => {
  it("answers 404 for another organisation's cube, by the service and by the policy alone", async () => {
    await expect(getCube(t.ctx, alice, bobCube)).rejects.toMatchObject({ code: "not_found", status: 404 });
    await expect(loadAuthorized(alice, "cube.read", "cube", cubeById(bobCube), orgOf)).rejects.toMatchObject({
      code: "not_found",
    });
    const own = await loadAuthorized(alice, "cube.read", "cube", cubeById(aliceCube), orgOf);
    expect(own.id).toBe(aliceCube);
  });

  it("refuses a vault outside a key's binding even within its own organisation", async () => {
    const { key } = await createApiKey(t.ctx, alice, {
      name: "support agent",
      scopes: ["vault:read"],
      vault_id: aliceVaults[0],
    });
    const agent = await authenticateApiKey(t.ctx, key);
    expect((await loadOwnVault(t.ctx.db, agent, "memory.read", aliceVaults[0]!)).id).toBe(aliceVaults[0]);
    await expect(loadOwnVault(t.ctx.db, agent, "memory.read", aliceVaults[1]!)).rejects.toMatchObject({
      code: "not_found",
    });
    for (const id of [aliceVaults[1]!, bobVault]) {
      await expect(
        loadAuthorized(agent, "memory.read", "vault", vaultById(id), ownerOfVault),
      ).rejects.toMatchObject({ code: "not_found" });
    }
  });

  it("still asks for the scope before it looks at any row", async () => {
    const { key } = await createApiKey(t.ctx, alice, { name: "reader", scopes: ["vault:read"] });
    const reader = await authenticateApiKey(t.ctx, key);
    await expect(
      loadAuthorized(reader, "cube.write", "cube", cubeById(aliceCube), orgOf),
    ).rejects.toMatchObject({
      code: "forbidden",
      status: 403,
    });
  });

  it("leaves other organisations' rows out of a list whose query forgot its filter", async () => {
    const all = await t.ctx.db
      .select()
      .from(cubes)
      .where(inArray(cubes.id, [aliceCube, bobCube]));
    expect(all).toHaveLength(2);
    expect(authorizedRows(alice, "cube.read", all, orgOf).map((c) => c.id)).toEqual([aliceCube]);
    expect(authorizedRows(bob, "cube.read", all, orgOf).map((c) => c.id)).toEqual([bobCube]);
  });
});

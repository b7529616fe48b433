import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, queryRows, sql } from "./client.ts";
import { queryRowsWithSettings } from "./settings-query.ts";

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describe.each([
  ["Postgres", () => openDatabase({ url: POSTGRES_URL })],
  ["PGlite", () => openDatabase({ memory: true })],
] as const)("a statement under its own settings (%s)", (_name, open) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => database?.close());

  const setting = sql`select current_setting('enable_sort') as sort, current_setting('hnsw.ef_search', true) as ef`;

  it("applies the settings to the statement and to nothing after it", async () => {
    const settings = { enable_sort: "off", "hnsw.ef_search": "321" };
    const [under] = await queryRowsWithSettings<{ sort: string; ef: string }>(database.db, settings, setting);
    expect(under).toEqual({ sort: "off", ef: "321" });
    // Every connection of the pool afterwards: the settings were local to that statement's transaction.
    const after = await Promise.all(
      Array.from({ length: 12 }, () => queryRows<{ sort: string; ef: string | null }>(database.db, setting)),
    );
    for (const [row] of after) expect(row!.sort).toBe("on");
  });

  it("plans the statement under the settings (sorting off is seen by the planner)", async () => {
    const explain = sql`explain select g from generate_series(1, ${1000}) g order by g desc limit ${5}`;
    const plan = async (settings: Record<string, string>) =>
      (await queryRowsWithSettings<{ "QUERY PLAN": string }>(database.db, settings, explain))
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    // A sort is still the only way to order this; disabled, it is marked so (Postgres 17+, PGlite)
    // or its cost carries the penalty (Postgres 15).
    const disabled = /Disabled: true|cost=1\d{9}/;
    expect(await plan({ enable_sort: "on" })).not.toMatch(disabled);
    expect(await plan({ enable_sort: "off" })).toMatch(disabled);
  });

  it("returns the values it was given, quotes and backslashes included, as bound values are", async () => {
    const tricky = ["it's", "back\\slash", "'; drop table x; --", "$1 $$ dollar", "ünï©ødé", ""];
    const statement = sql`select ${tricky[0]}::text as a, ${tricky[1]}::text as b, ${tricky[2]}::text as c,
      ${tricky[3]}::text as d, ${tricky[4]}::text as e, ${tricky[5]}::text as f, ${null}::text as n,
      ${42} + 1 as sum, ${true}::boolean as yes, array[${"x"}, ${"y"}]::text[] as list,
      timestamptz '2026-01-02 03:04:05+00' as at`;
    const [bound] = await queryRows<Record<string, unknown>>(database.db, statement);
    const [inlined] = await queryRowsWithSettings<Record<string, unknown>>(
      database.db,
      { enable_sort: "off" },
      statement,
    );
    expect(inlined).toEqual(bound);
    expect(inlined).toMatchObject({
      a: "it's",
      b: "back\\slash",
      c: "'; drop table x; --",
      n: null,
      sum: 43,
    });
  });

  it("refuses a value that cannot be sent, and leaves the connection usable", async () => {
    await expect(
      queryRowsWithSettings(database.db, { enable_sort: "off" }, sql`select ${"nul\0byte"}::text`),
    ).rejects.toThrow();
    const [row] = await queryRows<{ sort: string }>(database.db, setting);
    expect(row!.sort).toBe("on");
  });

  it("rolls the settings back with a failing statement", async () => {
    await expect(
      queryRowsWithSettings(database.db, { enable_sort: "off" }, sql`select 1 / ${0}::int`),
    ).rejects.toSatisfy((e: Error) => /division by zero/.test(`${e.message} ${(e.cause as Error)?.message}`));
    const rows = await Promise.all(
      Array.from({ length: 12 }, () => queryRows<{ sort: string }>(database.db, setting)),
    );
    for (const [row] of rows) expect(row!.sort).toBe("on");
  });
});

import { openDatabase, queryRows, sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "./support/services.ts";

/**
 * A connection the server drops while it sits in the pool (a restart, a failover) fails the first
 * statement sent on it. When that statement is a transaction's BEGIN, the connection must go back
 * to the pool and be discarded: drizzle's own transaction leaked it, and after ten such the pool had
 * none left — every query waited, and closing the pool hung.
 */
let database: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await database?.drop();
});

/** Ends, from the server's side, every connection of the pool that sits idle. */
async function dropIdleConnections(application: string) {
  await admin.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()`,
    [application],
  );
}

describe("a pooled connection the server dropped", () => {
  it("fails the transaction that drew it, and the pool neither keeps it nor runs out", async () => {
    const opened = await openDatabase({ url: database.url, application: "pool-test" });
    const { db } = opened;
    const application = `pool-test-${process.pid}`;
    for (let round = 0; round < 12; round++) {
      // Ten connections in the pool, then every one of them dropped by the server.
      await Promise.all(Array.from({ length: 10 }, () => queryRows(db, sql`select pg_sleep(0.01)`)));
      await dropIdleConnections(application);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => db.transaction(async (tx) => queryRows(tx, sql`select 1 as one`))),
      );
      expect(outcomes.some((o) => o.status === "rejected")).toBe(true);
    }
    // Twelve rounds of ten dropped connections later, the pool still has all of its ten to give.
    const again = await Promise.all(
      Array.from({ length: 10 }, () =>
        db.transaction((tx) => queryRows<{ one: number }>(tx, sql`select 1 as one`)),
      ),
    );
    expect(again.map((rows) => rows[0]!.one)).toEqual(Array(10).fill(1));
    await opened.close();
  }, 60_000);
});

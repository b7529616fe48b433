import { interactiveLoad } from "@memstore/api/pipeline";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext, type TestContext } from "./support/context.ts";

/**
 * The pipeline's bulk writes give way to interactive work in the same database (bench:load: search
 * p99 while publishing went from 2.0–2.1× search alone to 1.05–1.13×). What counts as interactive:
 * another process's active session — `memstore serve`'s searches, the portal — but neither this
 * process's own sessions nor other pipeline workers'.
 */
let t: TestContext;
const clients: pg.Client[] = [];

beforeAll(async () => {
  t = await openTestContext("postgres");
});

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => {});
  await t?.dispose();
});

/** A session of another process, named as its role names it, busy for `ms` in a statement. */
async function busySession(application: string, ms: number) {
  const client = new pg.Client({
    connectionString: t.ctx.config.DATABASE_URL,
    application_name: application,
  });
  await client.connect();
  clients.push(client);
  const running = client.query(`select pg_sleep(${ms / 1000})`);
  // Sent: the server shows it active once it has begun.
  await new Promise((resolve) => setTimeout(resolve, 150));
  // Wrapped: an async function returning the promise itself would wait for the statement to end.
  return { done: running };
}

describe("interactive load", () => {
  it("is seen while another process's session works, and not once it is idle", async () => {
    const look = interactiveLoad(t.ctx);
    expect(await look()).toBe(false);
    const running = await busySession("memstore-9999999", 1_500);
    const later = interactiveLoad(t.ctx);
    expect(await later()).toBe(true);
    await running.done;
    const after = interactiveLoad(t.ctx);
    expect(await after()).toBe(false);
  });

  it("leaves pipeline workers' sessions out: their work is the pipeline's own", async () => {
    const running = await busySession("memstore-worker-9999998", 1_500);
    expect(await interactiveLoad(t.ctx)()).toBe(false);
    await running.done;
  });
});

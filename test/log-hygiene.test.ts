import { sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * What the logs hold after a fault run. The probe found failed queries logged with their
 * parameters: API key prefixes, a webhook secret, a password hash, a memory's text. Here writes fail
 * inside the database (a trigger refuses them) and then the database goes away altogether, while
 * requests carrying each kind of secret keep coming; the log is read afterwards.
 */
const lines: string[] = [];
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let ownerKey: string;
let vaultId: string;
const MEMORY_TEXT = "pelican-ledger-77 is the quarterly password reminder";

beforeAll(async () => {
  bed = await openHttpTestbed({}, { log: (line) => lines.push(line) });
  ownerKey = await bed.organization("Quiet Logs", "owner@quiet.example.com");
  vaultId = (await bed.api("POST", "/api/v1/vaults", ownerKey, { name: "main" })).body.id;
  // The fault: every write to these tables fails in the database, after the request was accepted.
  await bed.t.ctx.db.execute(sql`
    create function refuse_write() returns trigger language plpgsql as
      $$ begin raise exception 'the disk is full'; end $$`);
  for (const table of ["memories", "event_subscriptions", "users"]) {
    await bed.t.ctx.db.execute(
      sql.raw(
        `create trigger refuse_${table} before insert on ${table} for each row execute function refuse_write()`,
      ),
    );
  }
});

afterAll(async () => {
  await bed?.close();
});

describe("logs after a fault run", () => {
  it("describe each failure without the data it carried", async () => {
    const memory = await bed.api("POST", `/api/v1/vaults/${vaultId}/memories`, ownerKey, {
      text: MEMORY_TEXT,
    });
    expect(memory.status).toBeGreaterThanOrEqual(500);
    const subscription = await bed.api("POST", "/api/v1/subscriptions", ownerKey, {
      filter: { tags: ["x"] },
      delivery: { webhook_url: "https://hooks.example.com/in" },
    });
    expect(subscription.status).toBeGreaterThanOrEqual(500);
    const signUp = await fetch(`${bed.server.url}/api/trpc/account.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "N",
        email: "n@quiet.example.com",
        password: "correct horse",
        organization: "N",
      }),
    });
    expect(signUp.status).toBeGreaterThanOrEqual(500);
    // Then the database is gone: even looking a key up fails.
    await bed.t.ctx.database.close();
    const lookup = await bed.api("GET", "/api/v1/cubes", ownerKey);
    expect(lookup.status).toBeGreaterThanOrEqual(500);

    const log = lines.join("\n");
    expect(log).toContain("the disk is full");
    for (const leak of [
      ownerKey,
      ownerKey.slice(0, 14),
      MEMORY_TEXT,
      "pelican-ledger",
      "correct horse",
      "params:",
      "Failed query",
    ]) {
      expect(log, `the log holds ${leak}`).not.toContain(leak);
    }
    expect(log).not.toMatch(/whsec_[A-Za-z0-9]/);
    expect(log).not.toMatch(/scrypt\$\d/);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Proc, runMemstore, spawnMemstore } from "./support/processes.ts";
import { stripMarks } from "@memstore/watermark";

/** What `npm start` runs: embedded database, in-process jobs, demo data, and the one-owner rule. */
const dataDir = mkdtempSync(join(tmpdir(), "memstore-dev-"));
const env = { MEMSTORE_DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", STORAGE_URL: "" };
let dev: Proc;
let baseUrl: string;

beforeAll(async () => {
  const port = await freePort();
  dev = spawnMemstore(["dev"], { ...env, PORT: String(port), HOST: "127.0.0.1" });
  await dev.waitFor(/Demo agent key:/, 90_000);
  baseUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await dev.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("memstore dev (embedded mode)", () => {
  it("prints the portal URL, demo logins and an agent key that searches the demo vault", async () => {
    const out = dev.output();
    expect(out).toMatch(/MemStore is ready in [\d.]+ s \(embedded database/);
    expect(out).toMatch(/Demo publisher: +publisher@demo\.memstore\.local \/ \S+/);
    const [, key, vault] = out.match(/Demo agent key: +(msk_\w+) +\(vault (vault_\w+)\)/)!;
    const agent = new MemStoreClient({ baseUrl, apiKey: key! });
    const { results } = await agent.search(vault!, { query: "standard VAT rate in France", top_k: 1 });
    expect(results[0]).toMatchObject({
      source: "install",
      cube: { slug: "eu-vat-essentials", publisher: "acme-experts" },
    });
    expect(stripMarks(results[0]!.text)).toContain("France applies a standard VAT rate of 20 percent");
    expect(await agent.health()).toMatchObject({ status: "ok" });
  });

  it("refuses plainly, non-zero, to open the embedded database another process holds", async () => {
    const result = await runMemstore(["admin", "create-org", "Other", "--owner", "x@example.com"], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^memstore: The embedded database in .* is in use by another MemStore process \(pid \d+/,
    );
  });
});

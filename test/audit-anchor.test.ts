import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authenticateApiKey } from "@memstore/api/identity";
import {
  AuditExportVerifier,
  checkAuditChain,
  checkpointMovedHeads,
  type ExportedRow,
} from "@memstore/api/audit";
import { queryRows, sql } from "@memstore/db";
import { type MemStoreClient } from "@memstore/sdk";
import { importPublicKey } from "@memstore/watermark/signing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { runMemstore } from "./support/processes.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
const dir = mkdtempSync(join(tmpdir(), "memstore-audit-"));

beforeAll(async () => {
  bed = await openHttpTestbed();
});
afterAll(async () => {
  await bed?.close();
});

/** An organisation with a few audited actions, and its client. */
async function busyOrganisation(name: string) {
  const key = await bed.organization(name, `owner@${name.toLowerCase()}.example.com`);
  const client = bed.client(key);
  const vault = await client.createVault({ name: "records" });
  for (const name of ["ledger", "letters", "logs"]) await client.createVault({ name });
  await client.updateVault(vault.id, { name: "records-2026" });
  const subject = await authenticateApiKey(bed.t.ctx, key);
  return { key, client, orgId: subject.orgId, subject };
}

async function exportedRows(client: MemStoreClient): Promise<ExportedRow[]> {
  const { stream, contentType } = await client.auditExport();
  expect(contentType).toBe("application/x-ndjson");
  const text = await new Response(stream).text();
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as ExportedRow);
}

async function check(client: MemStoreClient, rows: ExportedRow[]) {
  const checkpoints = await client.auditCheckpoints();
  const verifier = new AuditExportVerifier(
    checkpoints.org_id,
    checkpoints.items,
    importPublicKey(checkpoints.platform_key),
  );
  for (const row of rows) if (!verifier.add(row)) break;
  return verifier.finish();
}

/** The organisation's audit rows' seqs, oldest first, as the database holds them. */
const rowsOf = async (orgId: string) =>
  (
    await queryRows<{ seq: string }>(
      bed.t.ctx.db,
      sql`select seq from audit_log where org_id = ${orgId} order by seq`,
    )
  ).map((r) => ({ seq: Number(r.seq) }));

describe("the anchored audit chain", () => {
  it("exports the chain oldest first and checks whole against the platform's signed heads", async () => {
    const org = await busyOrganisation("Ledgers");
    const made = await org.client.createAuditCheckpoint();
    const seqs = (await rowsOf(org.orgId)).map((r) => r.seq);
    expect(made).toMatchObject({ seq: seqs.at(-1), key_id: expect.any(String) });
    const rows = await exportedRows(org.client);
    expect(rows.map((r) => r.seq)).toEqual(seqs);
    expect(rows[0]!.prev_hash).toBe("0".repeat(64));
    expect(rows.slice(1).every((r, i) => r.prev_hash === rows[i]!.hash)).toBe(true);

    // A row after the checkpoint is chained but not yet anchored.
    await org.client.createVault({ name: "later" });
    const result = await check(org.client, await exportedRows(org.client));
    expect(result).toMatchObject({
      ok: true,
      rows: seqs.length + 1,
      anchored_seq: seqs.at(-1),
      unanchored_rows: 1,
    });
  });

  it("names the row that was edited, the newest rows deleted, and rows reordered", async () => {
    const org = await busyOrganisation("Tamperers");
    await org.client.createAuditCheckpoint();
    const rows = await exportedRows(org.client);
    const seqs = rows.map((r) => r.seq);

    // Edited in the export: that row.
    const edited = rows.map((r, i) => (i === 2 ? { ...r, actor: "user:someone-else" } : r));
    expect((await check(org.client, edited)).problem).toMatchObject({ kind: "edited", seq: seqs[2] });
    // Two rows swapped: reordered, named at the first out of place.
    const swapped = [rows[0]!, rows[2]!, rows[1]!, ...rows.slice(3)];
    expect((await check(org.client, swapped)).problem).toMatchObject({ kind: "reordered", seq: seqs[2] });
    // A middle row removed: the chain breaks at the next.
    const holed = rows.filter((_, i) => i !== 1);
    expect((await check(org.client, holed)).problem).toMatchObject({ kind: "deleted", seq: seqs[2] });

    // The newest row deleted in the database: the chain left behind is perfect, the checkpoint is not.
    await bed.t.ctx.db.execute(sql`delete from audit_log where seq = ${seqs.at(-1)!}`);
    const truncated = await exportedRows(org.client);
    expect(truncated).toHaveLength(rows.length - 1);
    const found = await check(org.client, truncated);
    expect(found).toMatchObject({ ok: false, problem: { kind: "deleted", seq: seqs.at(-1) } });
    expect(found.problem!.detail).toContain("newest rows were deleted");
    // The portal's indicator sees it as well.
    expect(await checkAuditChain(bed.t.ctx, org.subject)).toMatchObject({ ok: false, brokenAt: seqs.at(-1) });
  });

  it("refuses checkpoints the platform key did not sign, and signs moved heads in the sweep", async () => {
    const org = await busyOrganisation("Forgers");
    await org.client.createAuditCheckpoint();
    const rows = await exportedRows(org.client);
    const checkpoints = await org.client.auditCheckpoints();
    const forged = checkpoints.items.map((c) => ({ ...c, seq: c.seq + 1 }));
    const verifier = new AuditExportVerifier(org.orgId, forged, importPublicKey(checkpoints.platform_key));
    expect(verifier.finish().problem).toMatchObject({ kind: "signature" });
    for (const row of rows) verifier.add(row);

    // The sweep signs every organisation whose head moved since its newest checkpoint, and only those.
    await org.client.createVault({ name: "moved" });
    expect(await checkpointMovedHeads(bed.t.ctx)).toBeGreaterThanOrEqual(1);
    expect(await checkpointMovedHeads(bed.t.ctx)).toBe(0);
    const after = await org.client.auditCheckpoints();
    expect(after.items.at(-1)!.seq).toBe((await rowsOf(org.orgId)).at(-1)!.seq);
  });

  it("is checked offline by `memstore audit verify`, from files an auditor keeps", async () => {
    const org = await busyOrganisation("Auditors");
    const env = { MEMSTORE_API_KEY: org.key, MEMSTORE_URL: bed.server.url };
    const exported = await runMemstore(["audit", "export"], env);
    expect(exported.code, exported.stderr).toBe(0);
    await org.client.createAuditCheckpoint();
    const cps = await runMemstore(["audit", "checkpoints"], env);
    expect(cps.code, cps.stderr).toBe(0);
    const files = { log: join(dir, "log.jsonl"), cps: join(dir, "cps.json"), key: join(dir, "key.json") };
    writeFileSync(files.log, exported.stdout);
    writeFileSync(files.cps, cps.stdout);
    writeFileSync(files.key, JSON.stringify((await bed.api("GET", "/api/v1/keys/platform", org.key)).body));

    const ok = await runMemstore(
      ["audit", "verify", files.log, "--checkpoints", files.cps, "--platform-key", files.key],
      {},
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ rows chained; 1 checkpoints signed by key \w+ hold/);

    // The newest line dropped from the file: named, and the command fails.
    const lines = exported.stdout.trim().split("\n");
    writeFileSync(files.log, `${lines.slice(0, -1).join("\n")}\n`);
    const cut = await runMemstore(
      ["audit", "verify", files.log, "--checkpoints", files.cps, "--platform-key", files.key],
      {},
    );
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/^FAILED at row \d+: deleted: the newest rows were deleted/);
  });
});

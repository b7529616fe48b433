import { auditLog, type Executor } from "@memstore/db";
import { asc, eq } from "drizzle-orm";
import { auditHash, GENESIS_HASH } from "./record-audit.ts";

export type ChainCheck =
  { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

/** Recomputes an organisation's audit chain from the first row. */
export async function verifyAuditChain(db: Executor, orgId: string): Promise<ChainCheck> {
  const rows = await db.select().from(auditLog).where(eq(auditLog.orgId, orgId)).orderBy(asc(auditLog.seq));
  let prev = GENESIS_HASH;
  for (const row of rows) {
    if (row.prevHash !== prev)
      return { ok: false, rows: rows.length, brokenAt: row.seq, reason: "previous hash does not match" };
    const createdAt = new Date(row.createdAt).toISOString();
    if (auditHash(prev, { ...row, createdAt }) !== row.hash) {
      return {
        ok: false,
        rows: rows.length,
        brokenAt: row.seq,
        reason: "row content does not match its hash",
      };
    }
    prev = row.hash;
  }
  return { ok: true, rows: rows.length };
}

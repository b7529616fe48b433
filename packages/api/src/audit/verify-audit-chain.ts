import type { Executor } from "@memstore/db";
import { auditRowsAfter } from "./queries.ts";
import { auditHash, GENESIS_HASH } from "./record-audit.ts";

export type ChainCheck =
  { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

/** Rows read per batch: the check holds one batch at a time, however long the log. */
const BATCH = 1000;

/** Recomputes an organisation's audit chain from the first row. */
export async function verifyAuditChain(db: Executor, orgId: string): Promise<ChainCheck> {
  let prev = GENESIS_HASH;
  let seen = 0;
  let afterSeq = 0;
  for (;;) {
    const rows = await auditRowsAfter(db, { orgId, afterSeq, limit: BATCH });
    for (const row of rows) {
      seen += 1;
      const broken = (reason: string): ChainCheck => ({ ok: false, rows: seen, brokenAt: row.seq, reason });
      if (row.prevHash !== prev) return broken("previous hash does not match");
      const createdAt = new Date(row.createdAt).toISOString();
      if (auditHash(prev, { ...row, createdAt }) !== row.hash)
        return broken("row content does not match its hash");
      prev = row.hash;
    }
    if (rows.length < BATCH) return { ok: true, rows: seen };
    afterSeq = rows.at(-1)!.seq;
  }
}

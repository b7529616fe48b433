import type { Executor } from "@memstore/db";
import { auditRowAt, auditRowsAfter, checkpointsOf } from "./queries.ts";
import { auditHash, GENESIS_HASH } from "./record-audit.ts";

export type ChainCheck =
  { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

/** Rows read per batch: the check holds one batch at a time, however long the log. */
const BATCH = 1000;

/**
 * Recomputes an organisation's audit chain from the first row, then holds it to the newest signed
 * checkpoint: the row the platform signed as the head must still be there with that hash, so rows
 * deleted from the end (which leave a perfect chain) are caught too.
 */
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
    if (rows.length < BATCH) return againstCheckpoint(db, orgId, seen);
    afterSeq = rows.at(-1)!.seq;
  }
}

async function againstCheckpoint(db: Executor, orgId: string, rows: number): Promise<ChainCheck> {
  const [newest] = await checkpointsOf(db, { orgId, limit: 1 });
  if (!newest || newest.seq === 0) return { ok: true, rows };
  const row = await auditRowAt(db, { orgId, seq: newest.seq });
  if (row?.hash === newest.headHash) return { ok: true, rows };
  const at = new Date(newest.at).toISOString();
  return {
    ok: false,
    rows,
    brokenAt: newest.seq,
    reason: row
      ? `row ${newest.seq} differs from the head the platform signed at ${at}`
      : `row ${newest.seq}, signed as the head at ${at}, is gone: rows were deleted`,
  };
}

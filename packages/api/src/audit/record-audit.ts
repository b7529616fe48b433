import { createHash } from "node:crypto";
import { auditLog, type Executor, lockUntilCommit, queryRows, sql } from "@memstore/db";
import { canonicalJson } from "@memstore/watermark/signing";

export type AuditEntry = {
  orgId: string;
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  data?: Record<string, unknown>;
};

export const GENESIS_HASH = "0".repeat(64);

/**
 * Appends an audit row that carries the hash of its organisation's previous row, so that removing
 * or editing any row breaks the chain. Call it inside the transaction of the action it records.
 */
export async function recordAudit(tx: Executor, entry: AuditEntry): Promise<void> {
  // Serialise appends per organisation so two actions never chain to the same previous row.
  await lockUntilCommit(tx, `audit:${entry.orgId}`);
  const [last] = await queryRows<{ hash: string }>(
    tx,
    sql`select hash from audit_log where org_id = ${entry.orgId} order by seq desc limit 1`,
  );
  const prevHash = last?.hash ?? GENESIS_HASH;
  const createdAt = new Date().toISOString();
  const data = entry.data ?? {};
  const hash = auditHash(prevHash, { ...entry, data, createdAt });
  await tx.insert(auditLog).values({ ...entry, data, prevHash, hash, createdAt });
}

export function auditHash(prevHash: string, row: Required<AuditEntry> & { createdAt: string }): string {
  const body = canonicalJson({
    org_id: row.orgId,
    actor: row.actor,
    action: row.action,
    object_type: row.objectType,
    object_id: row.objectId,
    data: row.data,
    created_at: row.createdAt,
  });
  return createHash("sha256").update(`${prevHash}\n${body}`).digest("hex");
}

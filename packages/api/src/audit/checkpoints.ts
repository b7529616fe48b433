import { newId, type Subject } from "@memstore/core";
import { type AuditCheckpointRow, auditCheckpoints, type Executor } from "@memstore/db";
import { keyIdOf, publicKeyDocument, signManifest } from "@memstore/watermark/signing";
import { authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { auditHead, checkpointsOf, orgsWithUnanchoredHeads } from "./queries.ts";
import { GENESIS_HASH } from "./record-audit.ts";
import { checkpointStatement } from "./verify-export.ts";

/** How many checkpoints a list shows: the newest, about a month of hourly ones. */
const LISTED = 1_000;

export function checkpointView(c: AuditCheckpointRow) {
  return {
    seq: c.seq,
    head_hash: c.headHash,
    at: new Date(c.at).toISOString(),
    key_id: c.keyId,
    signature: c.signature,
  };
}
export type CheckpointView = ReturnType<typeof checkpointView>;

/**
 * Signs the organisation's chain head as it stands now with the platform key: its newest row's seq
 * and hash (seq 0 and the genesis hash for an empty log), and the instant.
 */
export async function signCheckpoint(ctx: AppContext, db: Executor, orgId: string) {
  const head = await auditHead(db, { orgId });
  const statement = {
    org_id: orgId,
    seq: head?.seq ?? 0,
    head_hash: head?.hash ?? GENESIS_HASH,
    at: new Date().toISOString(),
  };
  const [row] = await db
    .insert(auditCheckpoints)
    .values({
      id: newId("ckpt"),
      orgId,
      seq: statement.seq,
      headHash: statement.head_hash,
      at: statement.at,
      keyId: keyIdOf(ctx.keys.publicKey),
      signature: signManifest(checkpointStatement(statement), ctx.keys.signingKey),
    })
    .returning();
  return row!;
}

/** `POST /api/v1/audit/checkpoints`: the organisation's head signed now. */
export async function createCheckpoint(ctx: AppContext, subject: Subject) {
  authorize(subject, "audit.read");
  return checkpointView(await signCheckpoint(ctx, ctx.db, subject.orgId));
}

/**
 * `GET /api/v1/audit/checkpoints`: the organisation's signed heads, oldest first, and the platform
 * key that signed them (an auditor may hold that key from elsewhere, and should).
 */
export async function listCheckpoints(ctx: AppContext, subject: Subject) {
  authorize(subject, "audit.read");
  const rows = await checkpointsOf(ctx.db, { orgId: subject.orgId, limit: LISTED });
  return {
    org_id: subject.orgId,
    platform_key: publicKeyDocument(ctx.keys.publicKey),
    items: rows.map(checkpointView),
  };
}

/** The hourly sweep: every organisation whose head moved since its last checkpoint gets a new one. */
export async function checkpointMovedHeads(ctx: AppContext): Promise<number> {
  const orgs = await orgsWithUnanchoredHeads(ctx.db);
  for (const { orgId } of orgs) await signCheckpoint(ctx, ctx.db, orgId);
  return orgs.length;
}

import type { KeyObject } from "node:crypto";
import { verifyManifest } from "@memstore/watermark/signing";
import { auditHash, GENESIS_HASH } from "./record-audit.ts";
import type { ExportedRow } from "./rows.ts";

export type { ExportedRow };

/**
 * Checking an exported audit log offline, against the platform's signed checkpoints: no database,
 * one row at a time (memory stays flat however long the log). `memstore audit verify` runs it.
 */

export type Checkpoint = { seq: number; head_hash: string; at: string; key_id: string; signature: string };

/** What the platform signs for a checkpoint. */
export function checkpointStatement(s: { org_id: string; seq: number; head_hash: string; at: string }) {
  return {
    schema: "memstore-audit-checkpoint/1",
    org_id: s.org_id,
    seq: s.seq,
    head_hash: s.head_hash,
    at: s.at,
  };
}

/** The first thing found wrong, with the row it concerns (`seq`), in words an auditor can act on. */
export type ExportProblem = {
  kind: "edited" | "deleted" | "reordered" | "foreign" | "signature";
  seq: number | null;
  detail: string;
};

export type ExportCheck = {
  ok: boolean;
  rows: number;
  checkpoints: number;
  /** The newest checkpoint's seq the log was checked against; rows after it are chained, not anchored. */
  anchored_seq: number | null;
  unanchored_rows: number;
  problem: ExportProblem | null;
};

/**
 * Feed it the export's rows in file order (`add`), then `finish`. Each row's hash is recomputed
 * from its content (an edit shows there) and its link to the row before checked (a deletion or
 * reordering inside the log shows there); each checkpoint's signature is checked, and the row it
 * names must be in the log with the hash it signed — so rows deleted from the end, which leave a
 * perfect chain behind, show too.
 */
export class AuditExportVerifier {
  private prev = GENESIS_HASH;
  private lastSeq = 0;
  private rows = 0;
  private afterAnchor = 0;
  private problem: ExportProblem | null = null;
  private readonly bySeq = new Map<number, Checkpoint>();
  private readonly anchor: Checkpoint | null;

  constructor(
    private readonly orgId: string,
    private readonly checkpoints: Checkpoint[],
    publicKey: KeyObject,
  ) {
    for (const c of checkpoints) {
      const statement = checkpointStatement({ org_id: orgId, ...c });
      if (!verifyManifest(statement, c.signature, publicKey)) {
        this.fail(
          "signature",
          c.seq,
          `the checkpoint of seq ${c.seq} at ${c.at} is not signed by this platform key`,
        );
      }
      this.bySeq.set(c.seq, c);
    }
    this.anchor = checkpoints.reduce<Checkpoint | null>((a, c) => (a && a.seq >= c.seq ? a : c), null);
  }

  /** One row, in file order; false once a problem is found (the rest need not be read). */
  add(row: ExportedRow): boolean {
    if (this.broken) return this.settleBreak(row);
    if (this.problem) return false;
    this.rows += 1;
    const seq = row.seq;
    if (row.org_id !== this.orgId)
      return this.fail("foreign", seq, `row ${seq} belongs to ${row.org_id}, not ${this.orgId}`);
    if (seq <= this.lastSeq) {
      return this.fail("reordered", seq, `row ${seq} comes after row ${this.lastSeq}: rows were reordered`);
    }
    const recomputed = auditHash(row.prev_hash, {
      orgId: row.org_id,
      actor: row.actor,
      action: row.action,
      objectType: row.object_type,
      objectId: row.object_id,
      data: row.data,
      createdAt: row.created_at,
    });
    if (recomputed !== row.hash)
      return this.fail("edited", seq, `row ${seq} was edited: its content does not match its hash`);
    if (row.prev_hash !== this.prev) {
      // A deletion, or the first of two swapped rows: the next row tells which.
      this.broken = { seq, after: this.lastSeq };
      return true;
    }
    const signed = this.bySeq.get(seq);
    if (signed && signed.head_hash !== row.hash) {
      return this.fail(
        "edited",
        seq,
        `row ${seq} differs from the head the platform signed at ${signed.at}: the log was rewritten up to it`,
      );
    }
    if (signed) this.met.add(seq);
    if (this.anchor && seq > this.anchor.seq) this.afterAnchor += 1;
    this.prev = row.hash;
    this.lastSeq = seq;
    return true;
  }

  finish(): ExportCheck {
    if (this.broken) this.settleBreak(null);
    if (!this.problem) this.checkEveryCheckpointSeen();
    return {
      ok: this.problem === null,
      rows: this.rows,
      checkpoints: this.checkpoints.length,
      anchored_seq: this.anchor?.seq ?? null,
      unanchored_rows: this.afterAnchor,
      problem: this.problem,
    };
  }

  /**
   * A signed head the log no longer holds: the newest rows were deleted (it lies past the last row),
   * or that row was (it lies inside the log, and no row of its seq came).
   */
  private checkEveryCheckpointSeen() {
    for (const c of [...this.checkpoints].sort((a, b) => b.seq - a.seq)) {
      if (c.seq === 0 || this.met.has(c.seq)) continue;
      const detail =
        c.seq > this.lastSeq
          ? `the newest rows were deleted: the platform signed row ${c.seq} as the head at ${c.at}, but the log ends at row ${this.lastSeq || "none"}`
          : `row ${c.seq}, signed as the head at ${c.at}, was deleted`;
      this.fail("deleted", c.seq, detail);
      return;
    }
  }

  /** Where the chain's link broke, until the row after it says whether rows were deleted or reordered. */
  private broken: { seq: number; after: number } | null = null;

  private settleBreak(next: ExportedRow | null): false {
    const { seq, after } = this.broken!;
    this.broken = null;
    if (next && next.seq < seq) {
      return this.fail("reordered", seq, `row ${seq} comes before row ${next.seq}: rows were reordered`);
    }
    return this.fail(
      "deleted",
      seq,
      `the chain breaks before row ${seq}: a row after ${after || "the start"} was deleted, or one before was rewritten`,
    );
  }

  /** The signed seqs met among the rows. */
  private readonly met = new Set<number>();

  private fail(kind: ExportProblem["kind"], seq: number | null, detail: string): false {
    this.problem ??= { kind, seq, detail };
    return false;
  }
}

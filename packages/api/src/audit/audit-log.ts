import type { Subject } from "@memstore/core";
import type { AuditLogRow } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { auditPage, auditRowsAfter } from "./queries.ts";
import type { AuditFilter } from "./schemas.ts";
import { verifyAuditChain } from "./verify-audit-chain.ts";

export type AuditRow = {
  seq: number;
  created_at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  data: Record<string, unknown>;
  hash: string;
};

const view = (r: AuditLogRow): AuditRow => ({
  seq: r.seq,
  created_at: new Date(r.createdAt).toISOString(),
  actor: r.actor,
  action: r.action,
  object_type: r.objectType,
  object_id: r.objectId,
  data: r.data,
  hash: r.hash,
});

/** The organisation's audit rows, newest first, filtered; one page. */
export async function listAuditLog(ctx: AppContext, subject: Subject, filter: AuditFilter, page: PageQuery) {
  authorize(subject, "audit.read");
  const rows = await auditPage(ctx.db, { orgId: subject.orgId, filter, page });
  return toPage(authorizedRows(subject, "audit.read", rows, orgOf).map(view), page);
}

/** Every matching row, oldest first, read in batches so an export of any size keeps memory flat. */
export async function* auditRows(
  ctx: AppContext,
  subject: Subject,
  filter: AuditFilter,
): AsyncGenerator<AuditRow> {
  authorize(subject, "audit.read");
  let after = 0;
  for (;;) {
    const rows = await auditRowsAfter(ctx.db, { orgId: subject.orgId, filter, afterSeq: after, limit: 500 });
    for (const r of authorizedRows(subject, "audit.read", rows, orgOf)) yield view(r);
    if (rows.length < 500) return;
    after = rows.at(-1)!.seq;
  }
}

/** Recomputes the hash chain: the screen's "verified" indicator. */
export async function checkAuditChain(ctx: AppContext, subject: Subject) {
  authorize(subject, "audit.read");
  return verifyAuditChain(ctx.db, subject.orgId);
}

const CSV_COLUMNS = [
  "seq",
  "created_at",
  "actor",
  "action",
  "object_type",
  "object_id",
  "data",
  "hash",
] as const;
export const AUDIT_CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

/** One RFC 4180 line: fields with commas, quotes or line breaks are quoted, quotes doubled. */
export function auditCsvLine(row: AuditRow): string {
  return `${CSV_COLUMNS.map((c) => csvField(c === "data" ? JSON.stringify(row.data) : String(row[c]))).join(",")}\r\n`;
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

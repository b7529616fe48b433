import type { Subject } from "@memstore/core";
import { auditLog, type AuditLogRow } from "@memstore/db";
import { and, asc, desc, eq, gt, gte, ilike, lt, type SQL } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, readPage, toPage } from "../kernel/pagination.ts";
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

function where(orgId: string, f: AuditFilter): SQL {
  const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString();
  return and(
    eq(auditLog.orgId, orgId),
    f.action ? ilike(auditLog.action, `%${f.action}%`) : undefined,
    f.actor ? ilike(auditLog.actor, `%${f.actor}%`) : undefined,
    f.object_type ? eq(auditLog.objectType, f.object_type) : undefined,
    f.from ? gte(auditLog.createdAt, `${f.from}T00:00:00Z`) : undefined,
    f.to ? lt(auditLog.createdAt, nextDay(f.to)) : undefined,
  )!;
}

/** The organisation's audit rows, newest first, filtered; one page. */
export async function listAuditLog(ctx: AppContext, subject: Subject, filter: AuditFilter, page: PageQuery) {
  authorize(subject, "audit.read");
  const rows = await readPage(
    ctx.db.select().from(auditLog).where(where(subject.orgId, filter)).orderBy(desc(auditLog.seq)).$dynamic(),
    page,
  );
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
    const rows = await ctx.db
      .select()
      .from(auditLog)
      .where(and(where(subject.orgId, filter), gt(auditLog.seq, after)))
      .orderBy(asc(auditLog.seq))
      .limit(500);
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

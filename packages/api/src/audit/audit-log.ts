import type { Subject } from "@memstore/core";
import type { AuditLogRow } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { auditNames, auditPage, auditRowsAfter } from "./queries.ts";
import { actorName, auditSentence, idsToName } from "./sentences.ts";
import type { AuditFilter } from "./schemas.ts";
import { verifyAuditChain } from "./verify-audit-chain.ts";
import type { AuditRow, ExportedRow } from "./rows.ts";

export type { AuditRow };

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

/**
 * The organisation's audit rows, newest first, filtered; one page. Each also reads as a sentence,
 * with the actor and the object by name (the portal's audit screen shows those; the raw row stays).
 */
export async function listAuditLog(ctx: AppContext, subject: Subject, filter: AuditFilter, page: PageQuery) {
  authorize(subject, "audit.read");
  const rows = authorizedRows(
    subject,
    "audit.read",
    await auditPage(ctx.db, { orgId: subject.orgId, filter, page }),
    orgOf,
  );
  const names = await auditNames(ctx.db, { orgId: subject.orgId, ...idsToName(rows) });
  return toPage(
    rows.map((r) => ({
      ...view(r),
      sentence: auditSentence(r, names),
      actor_name: actorName(r.actor, names),
      object_name: names.get(r.objectId) ?? null,
    })),
    page,
  );
}

/**
 * Who an actor (`user:…`, `key:…`, `system:…`) is, in the words the audit log uses: a member's
 * e-mail, a key's name. Names come from the caller's organisation only.
 */
export async function nameActor(ctx: AppContext, subject: Subject, actor: string) {
  const row = { actor, action: "", objectType: "", objectId: "", data: {} };
  return actorName(actor, await auditNames(ctx.db, { orgId: subject.orgId, ...idsToName([row]) }));
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

/** One row as `GET /api/v1/audit/export` writes it: everything its hash covers, and the chain's links. */
const exported = (r: AuditLogRow): ExportedRow => ({ ...view(r), org_id: r.orgId, prev_hash: r.prevHash });

/**
 * `GET /api/v1/audit/export` (scope `admin`): the organisation's whole chain, oldest first, one JSON
 * line per row, read in batches so a log of any length streams in flat memory. Authorized before
 * the first line, so a refusal is a clean 403.
 */
export function auditExportLines(ctx: AppContext, subject: Subject): AsyncGenerator<string> {
  authorize(subject, "audit.read");
  return (async function* () {
    let after = 0;
    for (;;) {
      const rows = await auditRowsAfter(ctx.db, { orgId: subject.orgId, afterSeq: after, limit: 500 });
      for (const r of rows) yield `${JSON.stringify(exported(r))}\n`;
      if (rows.length < 500) return;
      after = rows.at(-1)!.seq;
    }
  })();
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

import { auditLog, type Executor } from "@memstore/db";
import { and, asc, desc, eq, gt, gte, ilike, lt, type SQL } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";
import type { AuditFilter } from "./schemas.ts";

/**
 * The reads of the audit log, each `fn(db, { orgId, … })`: a page newest first for the screen,
 * and batches oldest first (by `seq`) for exports and the chain check, so neither holds the whole
 * log in memory.
 */

/** The filter's conditions on the organisation's rows: words in the action or actor, a type, days (UTC). */
function matching(orgId: string, f: AuditFilter): SQL {
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

/** One page of the organisation's audit rows that match the filter, newest first. */
export function auditPage(db: Executor, at: { orgId: string; filter: AuditFilter; page: PageQuery }) {
  return readPage(
    db.select().from(auditLog).where(matching(at.orgId, at.filter)).orderBy(desc(auditLog.seq)).$dynamic(),
    at.page,
  );
}

/** Up to `limit` of the organisation's rows after `afterSeq`, oldest first; all of them without a filter. */
export function auditRowsAfter(
  db: Executor,
  at: { orgId: string; filter?: AuditFilter; afterSeq: number; limit: number },
) {
  return db
    .select()
    .from(auditLog)
    .where(and(matching(at.orgId, at.filter ?? {}), gt(auditLog.seq, at.afterSeq)))
    .orderBy(asc(auditLog.seq))
    .limit(at.limit);
}

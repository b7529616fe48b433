import type { Subject } from "@memstore/core";
import { type Executor, sql } from "@memstore/db";
import type { SQL } from "drizzle-orm";

/**
 * The statement that counts calls (and bytes) per organisation, day (UTC), install and key: what
 * listings' terms and charts read. `rows` is a query giving (install_id, calls, bytes); an empty
 * install_id is a call about no install (e.g. a memory write). A fragment, so a service can count
 * a call in the statement it already runs.
 */
export function meterSql(subject: Subject, now: Date, rows: SQL): SQL {
  const day = now.toISOString().slice(0, 10);
  const keyId = subject.kind === "api_key" ? subject.keyId : "";
  return sql`insert into usage_daily (org_id, day, install_id, key_id, calls, bytes)
    select ${subject.orgId}, ${day}, install_id, ${keyId}, calls, bytes from (${rows}) as counted(install_id, calls, bytes)
    on conflict (org_id, day, install_id, key_id)
    do update set calls = usage_daily.calls + excluded.calls, bytes = usage_daily.bytes + excluded.bytes`;
}

export async function meter(
  db: Executor,
  subject: Subject,
  entries: Array<{ installId?: string; calls?: number; bytes?: number }>,
  now = new Date(),
): Promise<void> {
  if (entries.length === 0) return;
  const column = <T>(pick: (e: (typeof entries)[number]) => T) => sql.param(entries.map(pick));
  await db.execute(
    meterSql(
      subject,
      now,
      sql`select * from unnest(${column((e) => e.installId ?? "")}::text[], ${column((e) => e.calls ?? 1)}::int[],
                                ${column((e) => e.bytes ?? 0)}::bigint[])`,
    ),
  );
}

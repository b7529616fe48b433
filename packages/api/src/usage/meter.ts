import type { Subject } from "@memstore/core";
import { type Executor, sql, usageDaily } from "@memstore/db";

/** Counts calls (and bytes) per organisation, day, install and key: what licences and charts read. */
export async function meter(
  db: Executor,
  subject: Subject,
  entries: Array<{ installId?: string; calls?: number; bytes?: number }>,
): Promise<void> {
  if (entries.length === 0) return;
  const day = new Date().toISOString().slice(0, 10);
  const keyId = subject.kind === "api_key" ? subject.keyId : "";
  await db
    .insert(usageDaily)
    .values(
      entries.map((e) => ({
        orgId: subject.orgId,
        day,
        installId: e.installId ?? "",
        keyId,
        calls: e.calls ?? 1,
        bytes: e.bytes ?? 0,
      })),
    )
    .onConflictDoUpdate({
      target: [usageDaily.orgId, usageDaily.day, usageDaily.installId, usageDaily.keyId],
      set: {
        calls: sql`${usageDaily.calls} + excluded.calls`,
        bytes: sql`${usageDaily.bytes} + excluded.bytes`,
      },
    });
}

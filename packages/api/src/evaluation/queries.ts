import { type Executor, type VersionEvalRow, versionEvals } from "@memstore/db";
import { inArray } from "drizzle-orm";

/** The evaluation's reads, each `fn(db, { … })`: the sets attached to versions. */

/** The evaluation sets attached to any of these versions, by version id. */
export async function evalSetsOf(db: Executor, at: { versionIds: string[] }) {
  const rows = await db.select().from(versionEvals).where(inArray(versionEvals.versionId, at.versionIds));
  return new Map<string, VersionEvalRow>(rows.map((r) => [r.versionId, r]));
}

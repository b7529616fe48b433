import type { CubeType, RunKind } from "@memstore/core";
import {
  chunks,
  cubeVersions,
  type Executor,
  processingRuns,
  queryRows,
  type RunRow,
  sql,
} from "@memstore/db";
import { and, asc, count, eq, inArray } from "drizzle-orm";

/**
 * The pipeline's reads, each `fn(db, { versionId, … })`: the version a stage works on, its runs,
 * its chunks counted, the versions that lost their job, and whether others are using the database.
 */

/** The version a stage works on, while it is still processing (null once it is ready, rejected or gone). */
export async function processingVersion(db: Executor, at: { versionId: string }) {
  const [row] = await db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.id, at.versionId), eq(cubeVersions.status, "processing")));
  return row ?? null;
}

/** Every processing run of these versions, in the order they started (none asked, none read). */
export async function runsOfVersions(db: Executor, at: { versionIds: string[] }): Promise<RunRow[]> {
  if (at.versionIds.length === 0) return [];
  return db
    .select()
    .from(processingRuns)
    .where(inArray(processingRuns.versionId, at.versionIds))
    .orderBy(asc(processingRuns.startedAt));
}

/** How many chunks a version has stored. */
export async function chunkCount(db: Executor, at: { versionId: string }) {
  const [counted] = await db
    .select({ total: count() })
    .from(chunks)
    .where(eq(chunks.versionId, at.versionId));
  return counted?.total ?? 0;
}

export type StuckVersion = { id: string; type: CubeType; has_payload: boolean; done: RunKind[] };

/**
 * Versions still processing with no activity (submission, a run starting or ending) since `before`,
 * longest idle first, each with its cube's type, whether it has a payload and the stages it passed.
 */
export function stuckVersions(db: Executor, at: { before: Date; limit: number }) {
  return queryRows<StuckVersion>(
    db,
    sql`select v.id, c.type, v.digest is not null as has_payload,
          coalesce(array_agg(r.kind) filter (where r.status = 'succeeded'), '{}') as done
        from cube_versions v
        join cubes c on c.id = v.cube_id
        left join processing_runs r on r.version_id = v.id
        where v.status = 'processing'
        group by v.id, c.type
        having greatest(max(coalesce(v.submitted_at, v.created_at)), max(r.started_at), max(r.finished_at)) < ${at.before}
        order by max(coalesce(v.submitted_at, v.created_at))
        limit ${at.limit}`,
  );
}

/**
 * How many of the database's sessions are running a statement now, other than this one's and
 * those whose application name starts with `exceptPrefix` (the pipeline's workers).
 */
export async function activeSessions(db: Executor, at: { exceptPrefix: string }) {
  const [others] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and state = 'active'
          and application_name <> current_setting('application_name')
          and application_name not like ${`${at.exceptPrefix}%`}`,
  );
  return others?.n ?? 0;
}

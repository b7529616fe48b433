import { auditCheckpoints, auditLog, type Executor, queryRows, sql } from "@memstore/db";
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

/** The organisation's newest audit row: its chain head (none for an empty log). */
export async function auditHead(db: Executor, at: { orgId: string }) {
  const [row] = await db
    .select({ seq: auditLog.seq, hash: auditLog.hash })
    .from(auditLog)
    .where(eq(auditLog.orgId, at.orgId))
    .orderBy(desc(auditLog.seq))
    .limit(1);
  return row ?? null;
}

/** The organisation's row of that seq, if it is there. */
export async function auditRowAt(db: Executor, at: { orgId: string; seq: number }) {
  const [row] = await db
    .select({ seq: auditLog.seq, hash: auditLog.hash })
    .from(auditLog)
    .where(and(eq(auditLog.orgId, at.orgId), eq(auditLog.seq, at.seq)));
  return row ?? null;
}

/** The organisation's checkpoints, oldest first (up to `limit`, the newest ones). */
export async function checkpointsOf(db: Executor, at: { orgId: string; limit: number }) {
  const rows = await db
    .select()
    .from(auditCheckpoints)
    .where(eq(auditCheckpoints.orgId, at.orgId))
    .orderBy(desc(auditCheckpoints.at), desc(auditCheckpoints.seq))
    .limit(at.limit);
  return rows.reverse();
}

/** The organisations whose audit head moved past their newest checkpoint (or that have none). */
export function orgsWithUnanchoredHeads(db: Executor) {
  return queryRows<{ orgId: string }>(
    db,
    sql`select l.org_id as "orgId" from
          (select org_id, max(seq) as head from audit_log group by org_id) l
          left join (select org_id, max(seq) as anchored from audit_checkpoints group by org_id) c
            on c.org_id = l.org_id
        where c.anchored is null or c.anchored < l.head`,
  );
}

/**
 * Names for the ids audit rows carry, read in one query per kind, each kept to the organisation
 * (or, for a cube, one it publishes or has installed): people by e-mail, keys and vaults by name,
 * cubes, versions, listings and installs by their cube's title. Ids it cannot name stay out.
 */
export async function auditNames(
  db: Executor,
  at: {
    orgId: string;
    userIds: string[];
    keyIds: string[];
    vaultIds: string[];
    installIds: string[];
    versionIds: string[];
    listingIds: string[];
    cubeIds: string[];
  },
) {
  const names = new Map<string, string>();
  const put = (rows: Array<{ id: string; name: string | null }>) => {
    for (const r of rows) if (r.name) names.set(r.id, r.name);
  };
  const any = (ids: string[]) => sql`${sql.param(ids.length ? [...new Set(ids)] : [""])}::text[]`;
  put(
    await queryRows(
      db,
      sql`select u.id, u.email as name from users u join memberships m on m.user_id = u.id and m.org_id = ${at.orgId} where u.id = any(${any(at.userIds)})`,
    ),
  );
  put(
    await queryRows(
      db,
      sql`select id, name from api_keys where org_id = ${at.orgId} and id = any(${any(at.keyIds)})`,
    ),
  );
  put(
    await queryRows(
      db,
      sql`select id, name from vaults where org_id = ${at.orgId} and id = any(${any(at.vaultIds)})`,
    ),
  );
  put(
    await queryRows(
      db,
      sql`select i.id, c.title as name from installs i join cubes c on c.id = i.cube_id where i.org_id = ${at.orgId} and i.id = any(${any(at.installIds)})`,
    ),
  );
  put(
    await queryRows(
      db,
      sql`select v.id, c.title || ' ' || v.version as name from cube_versions v join cubes c on c.id = v.cube_id where v.id = any(${any(at.versionIds)}) and (v.org_id = ${at.orgId} or exists (select 1 from installs i where i.cube_id = v.cube_id and i.org_id = ${at.orgId}))`,
    ),
  );
  put(
    await queryRows(
      db,
      sql`select l.id, c.title as name from listings l join cubes c on c.id = l.cube_id where l.id = any(${any(at.listingIds)}) and (l.org_id = ${at.orgId} or l.status <> 'draft')`,
    ),
  );
  put(
    await queryRows(
      db,
      sql`select id, title as name from cubes where org_id = ${at.orgId} and id = any(${any(at.cubeIds)})`,
    ),
  );
  return names;
}

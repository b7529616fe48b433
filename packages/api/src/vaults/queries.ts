import {
  cubes,
  cubeVersions,
  type Executor,
  installHistory,
  installs,
  organizations,
  queryRows,
  sql,
  vaults,
} from "@memstore/db";
import { and, asc, eq, isNull } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of a vault's installs, each `fn(db, { vaultId, … })` (the vault already loaded as the
 * caller's own): the services judge each row, these only read.
 */

/** The vault's live install of a listing, if it has one. */
export async function liveInstallOfListing(db: Executor, at: { vaultId: string; listingId: string }) {
  const [row] = await db
    .select({ id: installs.id })
    .from(installs)
    .where(
      and(
        eq(installs.vaultId, at.vaultId),
        eq(installs.listingId, at.listingId),
        isNull(installs.uninstalledAt),
      ),
    );
  return row ?? null;
}

/** One of the vault's live installs. */
export function liveInstall(db: Executor, at: { vaultId: string; installId: string }) {
  return db
    .select()
    .from(installs)
    .where(
      and(eq(installs.id, at.installId), eq(installs.vaultId, at.vaultId), isNull(installs.uninstalledAt)),
    );
}

/** The organisation's live install in the vault, with its cube's type (null when it has none such). */
export async function liveInstallWithType(
  db: Executor,
  at: { orgId: string; vaultId: string; installId: string },
) {
  const [row] = await db
    .select({ id: installs.id, type: cubes.type })
    .from(installs)
    .innerJoin(cubes, eq(cubes.id, installs.cubeId))
    .where(
      and(
        eq(installs.id, at.installId),
        eq(installs.vaultId, at.vaultId),
        eq(installs.orgId, at.orgId),
        isNull(installs.uninstalledAt),
      ),
    );
  return row ?? null;
}

/** The vault's embedding dimension as stored now (null until its first memory or install fixed it). */
export async function vaultDimension(db: Executor, at: { vaultId: string }) {
  const [row] = await db.select({ dim: vaults.embeddingDim }).from(vaults).where(eq(vaults.id, at.vaultId));
  return row?.dim ?? null;
}

/** One of the vault's live installs, locked for the caller's transaction. */
export function lockedInstall(db: Executor, at: { vaultId: string; installId: string }) {
  return db
    .select()
    .from(installs)
    .where(
      and(eq(installs.id, at.installId), eq(installs.vaultId, at.vaultId), isNull(installs.uninstalledAt)),
    )
    .for("update");
}

/** One page of the vault's live installs, oldest first, each with its cube, publisher and version. */
export function installPage(db: Executor, at: { vaultId: string; page: PageQuery }) {
  return readPage(
    db
      .select({ install: installs, cube: cubes, publisher: organizations, version: cubeVersions.version })
      .from(installs)
      .innerJoin(cubes, eq(cubes.id, installs.cubeId))
      .innerJoin(organizations, eq(organizations.id, cubes.orgId))
      .innerJoin(cubeVersions, eq(cubeVersions.id, installs.versionId))
      .where(and(eq(installs.vaultId, at.vaultId), isNull(installs.uninstalledAt)))
      .orderBy(asc(installs.createdAt), asc(installs.id))
      .$dynamic(),
    at.page,
  );
}

/** The organisation's vault of that name, if it has one (names are unique per organisation). */
export async function vaultNamed(db: Executor, at: { orgId: string; name: string }) {
  const [row] = await db
    .select({ id: vaults.id })
    .from(vaults)
    .where(and(eq(vaults.orgId, at.orgId), eq(vaults.name, at.name)));
  return row ?? null;
}

/** One page of the organisation's vaults, oldest first; only `onlyVaultId` for a key bound to it. */
export function vaultPage(db: Executor, at: { orgId: string; onlyVaultId: string | null; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(vaults)
      .where(and(eq(vaults.orgId, at.orgId), at.onlyVaultId ? eq(vaults.id, at.onlyVaultId) : undefined))
      .orderBy(asc(vaults.createdAt), asc(vaults.id))
      .$dynamic(),
    at.page,
  );
}

/** The organisation's vault by id (the rows loadOwnVault judges). */
export function vaultOfOrg(db: Executor, at: { orgId: string; vaultId: string }) {
  return db
    .select()
    .from(vaults)
    .where(and(eq(vaults.id, at.vaultId), eq(vaults.orgId, at.orgId)));
}

/** What moved an install to the version it holds now (null for an install with no past recorded). */
export async function lastMove(db: Executor, at: { installId: string }) {
  const [row] = await db
    .select({ movedBy: installHistory.movedBy, movedById: installHistory.movedById })
    .from(installHistory)
    .where(and(eq(installHistory.installId, at.installId), isNull(installHistory.toAt)));
  return row ?? null;
}

/** The versions an install has held, oldest first: each with its number, when, and what moved it there. */
export function heldVersions(db: Executor, at: { installId: string }) {
  return db
    .select({
      versionId: installHistory.versionId,
      version: cubeVersions.version,
      fromAt: installHistory.fromAt,
      toAt: installHistory.toAt,
      movedBy: installHistory.movedBy,
      movedById: installHistory.movedById,
    })
    .from(installHistory)
    .innerJoin(cubeVersions, eq(cubeVersions.id, installHistory.versionId))
    .where(eq(installHistory.installId, at.installId))
    .orderBy(asc(installHistory.fromAt), asc(installHistory.id));
}

/** A version's chunks in reading order, each as its heading and a digest of its text (a diff compares these). */
export function chunkDigests(db: Executor, at: { versionId: string }) {
  return queryRows<{ heading: string | null; digest: string }>(
    db,
    sql`select heading, md5(text) as digest from chunks where version_id = ${at.versionId} order by position`,
  );
}

/**
 * Live installs a yank concerns, by id after `afterId`: those holding a yanked version, and those
 * carrying a notice (which an unyank may have made stale); frozen vaults' left out.
 */
export async function installsConcernedByYanks(
  db: Executor,
  at: { afterId: string; limit: number; vaultId?: string | undefined },
) {
  const rows = await db
    .select({ id: installs.id })
    .from(installs)
    .innerJoin(cubeVersions, eq(cubeVersions.id, installs.versionId))
    .innerJoin(vaults, eq(vaults.id, installs.vaultId))
    .where(
      and(
        isNull(installs.uninstalledAt),
        isNull(vaults.frozenAt),
        at.vaultId === undefined ? undefined : eq(installs.vaultId, at.vaultId),
        sql`(${cubeVersions.yankedAt} is not null or ${installs.notice} is not null)`,
        sql`${installs.id} > ${at.afterId}`,
      ),
    )
    .orderBy(asc(installs.id))
    .limit(at.limit);
  return rows.map((r) => r.id);
}

/** The live installs holding a version (a yank settles each). */
export async function liveInstallsOfVersion(db: Executor, at: { versionId: string }) {
  const rows = await db
    .select({ id: installs.id })
    .from(installs)
    .where(and(eq(installs.versionId, at.versionId), isNull(installs.uninstalledAt)))
    .orderBy(asc(installs.id));
  return rows.map((r) => r.id);
}

/** A live install by id alone, with its vault, locked for the caller's transaction (a yank's sweep acts across tenants). */
export async function lockedInstallById(db: Executor, at: { installId: string }) {
  const [row] = await db
    .select({ install: installs, vault: vaults })
    .from(installs)
    .innerJoin(vaults, eq(vaults.id, installs.vaultId))
    .where(and(eq(installs.id, at.installId), isNull(installs.uninstalledAt)))
    .for("update", { of: installs });
  return row ?? null;
}

/** The vault's memories by how often searches returned them: the hottest first, or the coldest (never returned first). */
export function memoryHeatOf(
  db: Executor,
  at: { vaultId: string; order: "hottest" | "coldest"; limit: number },
) {
  const direction = at.order === "hottest" ? sql`desc` : sql`asc`;
  return queryRows<{ id: string; access_count: number; last_accessed_at: string | null }>(
    db,
    sql`select m.memory_id as id, coalesce(h.access_count, 0)::int as access_count, h.last_accessed_at
        from memories m left join memory_heat h on h.memory_id = m.memory_id
        where m.vault_id = ${at.vaultId} and m.is_current and m.state = 'active'
        order by coalesce(h.access_count, 0) ${direction}, h.last_accessed_at ${direction} nulls ${at.order === "hottest" ? sql`last` : sql`first`}, m.memory_id
        limit ${at.limit}`,
  );
}

/** The sections of the vault's live installs by hits: the hottest first, or the coldest (never hit first). */
export function sectionHeatOf(
  db: Executor,
  at: { vaultId: string; order: "hottest" | "coldest"; limit: number },
) {
  const direction = at.order === "hottest" ? sql`desc` : sql`asc`;
  return queryRows<{ install_id: string; section: string; hits: number; last_hit_at: string | null }>(
    db,
    sql`with sections as (
          select distinct i.id as install_id, coalesce(ch.heading, '') as section
          from installs i join chunks ch on ch.version_id = i.version_id
          where i.vault_id = ${at.vaultId} and i.uninstalled_at is null
        )
        select s.install_id, s.section, coalesce(h.hits, 0)::int as hits, h.last_hit_at
        from sections s left join install_heat h on h.install_id = s.install_id and h.section = s.section
        order by coalesce(h.hits, 0) ${direction}, s.install_id, s.section
        limit ${at.limit}`,
  );
}

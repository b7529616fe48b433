import { chunks, cubes, cubeVersions, type Executor, organizations, processingRuns, sql } from "@memstore/db";
import { and, asc, desc, eq, inArray, isNull, ne } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The catalog's reads, each `fn(db, { … })` with the organisation or cube it is scoped to named:
 * cubes and versions by id, slug or page, a cube's ready versions and its publisher. The services
 * (and other folders: vaults, derivations) authorize what they show; these only read.
 */

/** Every ready version of a cube (an install picks among them by its version policy). */
export function readyVersions(db: Executor, at: { cubeId: string }) {
  return db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.cubeId, at.cubeId), eq(cubeVersions.status, "ready")));
}

/** A cube by id, whoever publishes it (the caller has decided it may be read). */
export async function cubeById(db: Executor, at: { cubeId: string }) {
  const [row] = await db.select().from(cubes).where(eq(cubes.id, at.cubeId));
  return row ?? null;
}

/** A version by id, whoever publishes it (a stage, a job or a service that has authorized it). */
export async function versionById(db: Executor, at: { versionId: string }) {
  const [row] = await db.select().from(cubeVersions).where(eq(cubeVersions.id, at.versionId));
  return row ?? null;
}

/** The installable (ready, not yanked, not held) version numbers of each of these cubes (an install's view says which it could move to). */
export async function readyVersionNumbers(db: Executor, at: { cubeIds: string[] }) {
  const byCube = new Map<string, string[]>();
  if (at.cubeIds.length === 0) return byCube;
  const rows = await db
    .select({ cubeId: cubeVersions.cubeId, version: cubeVersions.version })
    .from(cubeVersions)
    .where(
      and(
        inArray(cubeVersions.cubeId, [...new Set(at.cubeIds)]),
        eq(cubeVersions.status, "ready"),
        isNull(cubeVersions.yankedAt),
        isNull(cubeVersions.heldAt),
      ),
    );
  for (const r of rows) byCube.set(r.cubeId, [...(byCube.get(r.cubeId) ?? []), r.version]);
  return byCube;
}

/** A cube and the organisation that publishes it. */
export async function cubeWithPublisher(db: Executor, at: { cubeId: string }) {
  const [found] = await db
    .select({ cube: cubes, publisher: organizations })
    .from(cubes)
    .innerJoin(organizations, eq(organizations.id, cubes.orgId))
    .where(eq(cubes.id, at.cubeId));
  if (!found) throw new Error(`cube ${at.cubeId} is gone`);
  return found;
}

/** The organisation's cube with that slug, if it has one (slugs are unique per organisation). */
export async function cubeWithSlug(db: Executor, at: { orgId: string; slug: string }) {
  const [row] = await db
    .select()
    .from(cubes)
    .where(and(eq(cubes.orgId, at.orgId), eq(cubes.slug, at.slug)));
  return row ?? null;
}

/** One page of the organisation's cubes, oldest first. */
export function cubePage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(cubes)
      .where(eq(cubes.orgId, at.orgId))
      .orderBy(asc(cubes.createdAt), asc(cubes.id))
      .$dynamic(),
    at.page,
  );
}

/** The organisation's cube by id (the rows loadOwnCube judges). */
export function cubeOfOrg(db: Executor, at: { orgId: string; cubeId: string }) {
  return db
    .select()
    .from(cubes)
    .where(and(eq(cubes.id, at.cubeId), eq(cubes.orgId, at.orgId)));
}

/** A cube's version by its semver. */
export function versionNamed(db: Executor, at: { cubeId: string; version: string }) {
  return db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.cubeId, at.cubeId), eq(cubeVersions.version, at.version)));
}

/** The organisation's version by id (a tus upload names only that). */
export function versionOfOrg(db: Executor, at: { orgId: string; versionId: string }) {
  return db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.id, at.versionId), eq(cubeVersions.orgId, at.orgId)));
}

/** One page of a cube's versions, oldest first. */
export function versionPage(db: Executor, at: { cubeId: string; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(cubeVersions)
      .where(eq(cubeVersions.cubeId, at.cubeId))
      .orderBy(asc(cubeVersions.createdAt), asc(cubeVersions.id))
      .$dynamic(),
    at.page,
  );
}

/** The version numbers a cube has used, in no order (a new version takes a number none has). */
export async function versionNumbers(db: Executor, at: { cubeId: string }) {
  const rows = await db
    .select({ version: cubeVersions.version })
    .from(cubeVersions)
    .where(eq(cubeVersions.cubeId, at.cubeId));
  return rows.map((r) => r.version);
}

/** A version's chunks in reading order, with their embeddings: its text as published. */
export function versionChunks(db: Executor, at: { versionId: string }) {
  return db
    .select({
      id: chunks.id,
      position: chunks.position,
      text: chunks.text,
      heading: chunks.heading,
      tags: chunks.tags,
      metadata: chunks.metadata,
      embedding: chunks.embedding,
      validUntil: chunks.validUntil,
    })
    .from(chunks)
    .where(eq(chunks.versionId, at.versionId))
    .orderBy(asc(chunks.position));
}

/**
 * A version's text, chunk by chunk in reading order (what a derivation runs the model over), or
 * its first `limit` chunks (a sample the store searches by).
 */
export async function versionTexts(db: Executor, at: { versionId: string; limit?: number }) {
  const query = db
    .select({ text: chunks.text })
    .from(chunks)
    .where(eq(chunks.versionId, at.versionId))
    .orderBy(asc(chunks.position))
    .$dynamic();
  const rows = await (at.limit === undefined ? query : query.limit(at.limit));
  return rows.map((r) => r.text);
}

/** The cube's version that became ready last, if any (what its listing shows and is searched by). */
export async function latestReadyVersion(db: Executor, at: { cubeId: string }) {
  const [row] = await db
    .select()
    .from(cubeVersions)
    .where(
      and(eq(cubeVersions.cubeId, at.cubeId), eq(cubeVersions.status, "ready"), isNull(cubeVersions.heldAt)),
    )
    .orderBy(desc(cubeVersions.readyAt))
    .limit(1);
  return row ?? null;
}

/** The cube's newest version past its draft, with the report of its desensitise run (if it had one). */
export async function latestSubmission(db: Executor, at: { cubeId: string }) {
  const [row] = await db
    .select({ version: cubeVersions.version, status: cubeVersions.status, report: processingRuns.report })
    .from(cubeVersions)
    .leftJoin(
      processingRuns,
      and(eq(processingRuns.versionId, cubeVersions.id), eq(processingRuns.kind, "desensitise")),
    )
    .where(and(eq(cubeVersions.cubeId, at.cubeId), ne(cubeVersions.status, "draft")))
    .orderBy(desc(cubeVersions.createdAt))
    .limit(1);
  return row ?? null;
}

/** Bytes of payloads uploaded to the organisation's drafts, but for one version's (being replaced). */
export async function draftBytes(db: Executor, at: { orgId: string; exceptVersionId: string }) {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${cubeVersions.size}), 0)` })
    .from(cubeVersions)
    .where(
      and(
        eq(cubeVersions.orgId, at.orgId),
        eq(cubeVersions.status, "draft"),
        ne(cubeVersions.id, at.exceptVersionId),
      ),
    );
  return Number(row?.total ?? 0);
}

/** Every version of a cube, in no order. */
export function versionsOf(db: Executor, at: { cubeId: string }) {
  return db.select().from(cubeVersions).where(eq(cubeVersions.cubeId, at.cubeId));
}

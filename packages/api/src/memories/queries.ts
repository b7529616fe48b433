import type { MemoryState } from "@memstore/core";
import { type Executor, memories, memoryHeat } from "@memstore/db";
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of a vault's own memories, each `fn(db, { vaultId, … })` (the vault already loaded
 * as the caller's own): the services judge each row, these only read.
 */

/** One page of the vault's current memories in a state, newest first. */
export function memoryPage(db: Executor, at: { vaultId: string; state: MemoryState; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(memories)
      .where(
        and(eq(memories.vaultId, at.vaultId), eq(memories.isCurrent, true), eq(memories.state, at.state)),
      )
      .orderBy(desc(memories.createdAt), asc(memories.id))
      .$dynamic(),
    at.page,
  );
}

/** Every version of one memory, oldest first. */
export function memoryVersions(db: Executor, at: { vaultId: string; memoryId: string }) {
  return db
    .select()
    .from(memories)
    .where(and(eq(memories.vaultId, at.vaultId), eq(memories.memoryId, at.memoryId)))
    .orderBy(asc(memories.version));
}

/** A memory's current version; locked for the caller's transaction when a new version will follow. */
export function currentMemoryVersion(
  db: Executor,
  at: { vaultId: string; memoryId: string; lock?: boolean },
) {
  const query = db
    .select()
    .from(memories)
    .where(
      and(eq(memories.vaultId, at.vaultId), eq(memories.memoryId, at.memoryId), eq(memories.isCurrent, true)),
    );
  return at.lock ? query.for("update") : query;
}

/** How often searches returned each of these memories, and when last (no row: never). */
export async function heatOfMemories(db: Executor, at: { memoryIds: string[] }) {
  if (at.memoryIds.length === 0)
    return new Map<string, { accessCount: number; lastAccessedAt: Date | null }>();
  const rows = await db.select().from(memoryHeat).where(inArray(memoryHeat.memoryId, at.memoryIds));
  return new Map(rows.map((r) => [r.memoryId, r]));
}

/** The current versions of these memories of the vault, locked for a merge. */
export function currentVersionsOf(db: Executor, at: { vaultId: string; memoryIds: string[] }) {
  return db
    .select()
    .from(memories)
    .where(
      and(
        eq(memories.vaultId, at.vaultId),
        inArray(memories.memoryId, at.memoryIds),
        eq(memories.isCurrent, true),
      ),
    )
    .for("update");
}

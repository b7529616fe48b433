import { type Executor, memories } from "@memstore/db";
import { and, asc, desc, eq } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of a vault's own memories, each `fn(db, { vaultId, … })` (the vault already loaded
 * as the caller's own): the services judge each row, these only read.
 */

/** One page of the vault's current memories in a state, newest first. */
export function memoryPage(
  db: Executor,
  at: { vaultId: string; state: "activated" | "archived" | "expired"; page: PageQuery },
) {
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

import { type ArtifactRole, newId } from "@memstore/core";
import { type ArtifactRow, artifacts, type Executor } from "@memstore/db";
import { type LoraConfig, parseLoraConfig } from "@memstore/formats";
import { and, eq } from "drizzle-orm";
import { type BlobRef, readBlob } from "./blobs.ts";
import type { AppContext } from "./context.ts";

/**
 * A version's artifacts: the blobs its stages derive (roles declared per type in @memstore/core)
 * and each organisation's own copy. Content-addressed, so a rerun replaces a row with the same bytes.
 */

/** Records (or replaces, on a rerun) a version's artifact of this role, shared or for one org. */
export async function saveArtifact(
  db: Executor,
  artifact: BlobRef & {
    versionId: string;
    role: ArtifactRole;
    forOrgId?: string;
    contentType: string | null;
  },
) {
  await db
    .insert(artifacts)
    .values({ id: newId("art"), forOrgId: "", ...artifact })
    .onConflictDoUpdate({
      target: [artifacts.versionId, artifacts.role, artifacts.forOrgId],
      set: { digest: artifact.digest, size: artifact.size },
    });
}

/** A version's artifact of this role (shared unless `forOrgId`), or null. */
export async function findArtifact(
  db: Executor,
  versionId: string,
  role: ArtifactRole,
  forOrgId = "",
): Promise<ArtifactRow | null> {
  const [row] = await db
    .select()
    .from(artifacts)
    .where(
      and(eq(artifacts.versionId, versionId), eq(artifacts.role, role), eq(artifacts.forOrgId, forOrgId)),
    );
  return row ?? null;
}

/** An artifact an earlier stage wrote; its absence is a broken invariant, not bad input. */
export async function requireArtifact(db: Executor, versionId: string, role: ArtifactRole) {
  const row = await findArtifact(db, versionId, role);
  if (!row) throw new Error(`version ${versionId} has no '${role}' artifact`);
  return row;
}

/** The `adapter_config.json` a pack's ingest stored. */
export async function adapterConfigOf(ctx: AppContext, versionId: string): Promise<LoraConfig> {
  const artifact = await requireArtifact(ctx.db, versionId, "adapter-config");
  return parseLoraConfig(await readBlob(ctx, artifact.digest));
}

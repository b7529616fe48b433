import { Readable } from "node:stream";
import { newId } from "@memstore/core";
import { artifacts, type Executor, queryRows, sql } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../context.ts";

export type ArtifactRef = { digest: string; size: number };

/** Records (or replaces, on a rerun) a version's artifact of this role, shared or for one org. */
export async function saveArtifact(
  db: Executor,
  artifact: ArtifactRef & { versionId: string; role: string; forOrgId?: string; contentType: string | null },
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
export async function findArtifact(db: Executor, versionId: string, role: string, forOrgId = "") {
  const [row] = await db
    .select()
    .from(artifacts)
    .where(
      and(eq(artifacts.versionId, versionId), eq(artifacts.role, role), eq(artifacts.forOrgId, forOrgId)),
    );
  return row ?? null;
}

/** Stores a generated stream (a converted file, a copy), capped at twice the payload limit. */
export function putStream(ctx: AppContext, stream: AsyncIterable<Uint8Array>): Promise<ArtifactRef> {
  return ctx.blobs.put(Readable.from(stream), { maxBytes: ctx.config.MAX_PAYLOAD_BYTES * 2 });
}

/** Bytes [start, end) of a blob, read into memory (a header, a tensor: never a payload). */
export async function readBlobRange(ctx: AppContext, digest: string, start: number, end: number) {
  const parts: Uint8Array[] = [];
  for await (const c of blobRange(ctx, digest, start, end)) parts.push(c);
  return Buffer.concat(parts);
}

/** Bytes [start, end) of a blob, opened only when read (so a writer can line up many without opening them). */
export function blobRange(
  ctx: AppContext,
  digest: string,
  start: number,
  end: number,
): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      if (end > start) yield* await ctx.blobs.get(digest, { start, end: end - 1 });
    },
  };
}

/** A blob nothing keeps (a rejected version's output, a traced file) is deleted, unless the same bytes are another version's. */
export async function deleteUnlessShared(ctx: AppContext, digest: string) {
  const [row] = await queryRows<{ used: boolean }>(
    ctx.db,
    sql`select exists (select 1 from artifacts where digest = ${digest})
        or exists (select 1 from cube_versions where digest = ${digest})
        or exists (select 1 from base_models where onnx_digest = ${digest} or tokenizer_digest = ${digest}) as used`,
  );
  if (!row?.used) await ctx.blobs.delete(digest);
}

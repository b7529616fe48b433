import { AppError, newId, type Subject } from "@memstore/core";
import { memories, type MemoryRow } from "@memstore/db";
import { eq, inArray } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { memoryView } from "../kernel/views.ts";
import { meter } from "../usage/meter.ts";
import { loadOwnVault } from "../vaults/vaults.ts";
import { currentMemory, insertNewMemory, textToStore } from "./memories.ts";
import { currentVersionsOf, memoryVersions } from "./queries.ts";
import type { mergeMemoriesInput, restoreMemoryInput } from "./schemas.ts";

/** The longest text a memory holds (as `createMemoryInput` bounds it). */
const MAX_TEXT = 100_000;

/**
 * `POST …/memories/merge`: several active memories become one new memory — the text given, or
 * theirs joined in the order named — with their tags together and `merged_from` naming them; each
 * source becomes `merged` (its history stays). One transaction, the sources locked.
 */
export async function mergeMemories(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: z.infer<typeof mergeMemoriesInput>,
) {
  authorize(subject, "memory.write");
  const vault = await loadOwnVault(ctx.db, subject, "memory.write", vaultId);
  const row = await ctx.db.transaction(async (tx) => {
    const sources = await currentVersionsOf(tx, { vaultId: vault.id, memoryIds: input.memory_ids });
    const byId = new Map(sources.map((m) => [m.memoryId, m]));
    const missing = input.memory_ids.filter((id) => !byId.has(id));
    if (missing.length > 0)
      throw new AppError("not_found", `no such memory in this vault: ${missing.join(", ")}`);
    const inactive = sources.filter((m) => m.state !== "active");
    if (inactive.length > 0) {
      throw new AppError(
        "conflict",
        `only active memories merge: ${inactive.map((m) => `${m.memoryId} is ${m.state}`).join(", ")}`,
      );
    }
    const ordered = input.memory_ids.map((id) => byId.get(id)!);
    const joined = input.text ?? ordered.map((m) => m.text).join("\n\n");
    if (joined.length > MAX_TEXT) {
      throw new AppError(
        "invalid_input",
        `the merged text would be ${joined.length} characters (at most ${MAX_TEXT}): send its text`,
      );
    }
    const text = input.text === undefined ? joined : await textToStore(ctx, vault, joined);
    const now = new Date();
    await tx
      .update(memories)
      .set({ state: "merged", inactiveAt: now })
      .where(
        inArray(
          memories.id,
          ordered.map((m) => m.id),
        ),
      );
    const merged = await insertNewMemory(ctx, tx, subject, vault, {
      text,
      tags: [...new Set(ordered.flatMap((m) => m.tags))].slice(0, 64),
      metadata: {},
      mergedFrom: input.memory_ids,
    });
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "memory.merged",
      objectType: "memory",
      objectId: merged.memoryId,
      data: { vault_id: vault.id, merged_from: input.memory_ids },
    });
    return merged;
  });
  await meter(ctx.db, subject, [{ bytes: Buffer.byteLength(row.text) }]);
  return memoryView(row);
}

/**
 * `POST …/memories/{memory_id}/restore`: the memory active again, as a new version carrying the
 * text of the version named (by default the current one's: an archived, expired or merged memory
 * comes back as it was). A purged version's text is gone and cannot come back.
 */
export async function restoreMemory(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  memoryId: string,
  input: z.infer<typeof restoreMemoryInput>,
) {
  authorize(subject, "memory.write");
  const vault = await loadOwnVault(ctx.db, subject, "memory.write", vaultId);
  return ctx.db.transaction(async (tx) => {
    const current = await currentMemory(tx, subject, "memory.write", vault, memoryId, true);
    const source =
      input.version === undefined ? current : await versionNamed(tx, vault.id, memoryId, input.version);
    if (current.state === "active" && source.id === current.id) {
      throw new AppError("conflict", "the memory is active: name an earlier version to bring its text back");
    }
    if (source.purgedAt)
      throw new AppError("conflict", `version ${source.version}'s text was purged after it expired`);
    const now = new Date();
    await tx.update(memories).set({ isCurrent: false, supersededAt: now }).where(eq(memories.id, current.id));
    const [restored] = await tx
      .insert(memories)
      .values({
        id: newId("memv"),
        memoryId,
        orgId: current.orgId,
        vaultId: vault.id,
        version: current.version + 1,
        supersedes: current.id,
        text: source.text,
        tags: source.tags,
        metadata: source.metadata,
        mergedFrom: source.mergedFrom,
        createdBy: actorOf(subject),
        embedding: source.embedding,
        embeddingDim: source.embeddingDim,
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "memory.restored",
      objectType: "memory",
      objectId: memoryId,
      data: {
        vault_id: vault.id,
        from_version: source.version,
        version: restored!.version,
        was: current.state,
      },
    });
    return memoryView(restored!);
  });
}

async function versionNamed(
  tx: Parameters<typeof memoryVersions>[0],
  vaultId: string,
  memoryId: string,
  version: number,
): Promise<MemoryRow> {
  const found = (await memoryVersions(tx, { vaultId, memoryId })).find((m) => m.version === version);
  if (!found) throw new AppError("not_found", `memory ${memoryId} has no version ${version}`);
  return found;
}

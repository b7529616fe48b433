import { type Action, AppError, newId, notFound, type Subject } from "@memstore/core";
import { type Executor, memories, type MemoryRow, type Tx, type VaultRow } from "@memstore/db";
import { piiPolicySchema, resolvePolicy } from "@memstore/privacy";
import { eq } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { desensitiserFor } from "../kernel/desensitiser.ts";
import { actorOf, authorizedRows, loadAuthorized, vaultOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { meter } from "../usage/meter.ts";
import { claimVaultDimension, loadOwnVault } from "../vaults/vaults.ts";
import { memoryVersionView, memoryView } from "../kernel/views.ts";
import { createMemoryInput, updateMemoryInput, listMemoriesQuery } from "./schemas.ts";
import { currentMemoryVersion, heatOfMemories, memoryPage, memoryVersions } from "./queries.ts";

export { createMemoryInput, updateMemoryInput, listMemoriesQuery };
export { textToStore };

/** What a memory's text is stored as: desensitised when its vault says so. */
async function textToStore(ctx: AppContext, vault: VaultRow, text: string): Promise<string> {
  if (!vault.desensitiseOnWrite) return text;
  const policy = resolvePolicy(piiPolicySchema.parse(vault.piiPolicy));
  const [clean] = await desensitiserFor(ctx, vault.orgId, policy).applyAll([{ text, where: "memory" }]);
  return clean!;
}

const expiry = (ttlDays: number | undefined) =>
  ttlDays ? new Date(Date.now() + ttlDays * 86_400_000) : null;

async function embedFor(
  ctx: AppContext,
  tx: Tx,
  vault: Parameters<typeof claimVaultDimension>[1],
  value: string,
) {
  const [vector] = await ctx.embedder.embed([value]);
  await claimVaultDimension(tx, vault, ctx.embedder.dimension, `a memory embedded by ${ctx.embedder.model}`);
  return { embedding: Array.from(vector!), embeddingDim: ctx.embedder.dimension };
}

/** A new memory's first version, embedded, written by the subject (the caller audits why). */
export async function insertNewMemory(
  ctx: AppContext,
  tx: Tx,
  subject: Subject,
  vault: VaultRow,
  memory: Pick<MemoryRow, "text" | "tags" | "metadata"> &
    Partial<Pick<MemoryRow, "expiresAt" | "mergedFrom">>,
): Promise<MemoryRow> {
  const memoryId = newId("mem");
  const [created] = await tx
    .insert(memories)
    .values({
      id: memoryId,
      memoryId,
      orgId: subject.orgId,
      vaultId: vault.id,
      version: 1,
      ...memory,
      createdBy: actorOf(subject),
      ...(await embedFor(ctx, tx, vault, memory.text)),
    })
    .returning();
  return created!;
}

export async function createMemory(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: z.infer<typeof createMemoryInput>,
) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.write", vaultId);
  const text = await textToStore(ctx, vault, input.text);
  const row = await ctx.db.transaction(async (tx) => {
    const created = await insertNewMemory(ctx, tx, subject, vault, {
      text,
      tags: input.tags ?? [],
      metadata: input.metadata ?? {},
      expiresAt: expiry(input.ttl_days),
    });
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "memory.created",
      objectType: "memory",
      objectId: created.memoryId,
      data: { vault_id: vault.id },
    });
    return created;
  });
  await meter(ctx.db, subject, [{ bytes: Buffer.byteLength(text) }]);
  return memoryView(row);
}

export async function getMemory(ctx: AppContext, subject: Subject, vaultId: string, memoryId: string) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.read", vaultId);
  const row = await currentMemory(ctx.db, subject, "memory.read", vault, memoryId);
  const heat = await heatOfMemories(ctx.db, { memoryIds: [row.memoryId] });
  return memoryView(row, heat.get(row.memoryId));
}

export async function listMemories(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  query: z.infer<typeof listMemoriesQuery>,
  page: PageQuery,
) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.read", vaultId);
  const rows = authorizedRows(
    subject,
    "memory.read",
    await memoryPage(ctx.db, { vaultId: vault.id, state: query.state ?? "active", page }),
    vaultOf,
  );
  const heat = await heatOfMemories(ctx.db, { memoryIds: rows.map((r) => r.memoryId) });
  return toPage(
    rows.map((r) => memoryView(r, heat.get(r.memoryId))),
    page,
  );
}

/** PATCH: a new version that supersedes the current one; the old one stays in the history. */
export async function updateMemory(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  memoryId: string,
  input: z.infer<typeof updateMemoryInput>,
) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.write", vaultId);
  const row = await ctx.db.transaction(async (tx) => {
    const current = await currentMemory(tx, subject, "memory.write", vault, memoryId, true);
    if (current.state !== "active")
      throw new AppError("conflict", `the memory is ${current.state}; restore it first`);
    const nextText = input.text === undefined ? current.text : await textToStore(ctx, vault, input.text);
    const vectors =
      nextText !== current.text
        ? await embedFor(ctx, tx, vault, nextText)
        : { embedding: current.embedding, embeddingDim: current.embeddingDim };
    await tx
      .update(memories)
      .set({ isCurrent: false, supersededAt: new Date() })
      .where(eq(memories.id, current.id));
    const [next] = await tx
      .insert(memories)
      .values({
        id: newId("memv"),
        memoryId,
        orgId: subject.orgId,
        vaultId: vault.id,
        version: current.version + 1,
        supersedes: current.id,
        text: nextText,
        tags: input.tags ?? current.tags,
        metadata: input.metadata ?? current.metadata,
        expiresAt: input.ttl_days ? expiry(input.ttl_days) : current.expiresAt,
        createdBy: actorOf(subject),
        ...vectors,
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "memory.updated",
      objectType: "memory",
      objectId: memoryId,
      data: { vault_id: vault.id, version: current.version + 1 },
    });
    return next!;
  });
  await meter(ctx.db, subject, [{ bytes: Buffer.byteLength(row.text) }]);
  return memoryView(row);
}

/** DELETE: archives the memory (it leaves search; its history stays). */
export async function archiveMemory(ctx: AppContext, subject: Subject, vaultId: string, memoryId: string) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.write", vaultId);
  return ctx.db.transaction(async (tx) => {
    const current = await currentMemory(tx, subject, "memory.write", vault, memoryId, true);
    if (current.state !== "active") throw new AppError("conflict", `the memory is already ${current.state}`);
    const [archived] = await tx
      .update(memories)
      .set({ state: "archived", inactiveAt: new Date() })
      .where(eq(memories.id, current.id))
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "memory.archived",
      objectType: "memory",
      objectId: memoryId,
      data: { vault_id: vault.id, version: current.version },
    });
    return memoryView(archived!);
  });
}

export async function memoryHistory(ctx: AppContext, subject: Subject, vaultId: string, memoryId: string) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.read", vaultId);
  const rows = await memoryVersions(ctx.db, { vaultId: vault.id, memoryId });
  const history = authorizedRows(subject, "memory.read", rows, vaultOf);
  if (history.length === 0) notFound("memory");
  return { items: history.map(memoryVersionView) };
}

/** The current version of a memory in a vault, else 404; `lock` holds it for a new version. */
export function currentMemory(
  db: Executor,
  subject: Subject,
  action: Action,
  vault: VaultRow,
  memoryId: string,
  lock = false,
) {
  return loadAuthorized(
    subject,
    action,
    "memory",
    () => currentMemoryVersion(db, { vaultId: vault.id, memoryId, lock }),
    vaultOf,
  );
}

import { AppError, newId, notFound, type Subject } from "@memstore/core";
import { type Executor, vaults } from "@memstore/db";
import { and, asc, eq, isNull } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../context.ts";
import { actorOf, authorize } from "../identity/authorize.ts";
import { decodeCursor, type PageQuery, toPage } from "../pagination.ts";
import { vaultView } from "../views.ts";
import { createVaultInput } from "./schemas.ts";

export { createVaultInput };

export async function createVault(
  ctx: AppContext,
  subject: Subject,
  input: z.infer<typeof createVaultInput>,
) {
  authorize(subject, "vault.write", { orgId: subject.orgId });
  return ctx.db.transaction(async (tx) => {
    const [taken] = await tx
      .select({ id: vaults.id })
      .from(vaults)
      .where(and(eq(vaults.orgId, subject.orgId), eq(vaults.name, input.name)));
    if (taken) throw new AppError("conflict", `a vault named '${input.name}' already exists`);
    const [vault] = await tx
      .insert(vaults)
      .values({
        id: newId("vault"),
        orgId: subject.orgId,
        name: input.name,
        namespaceKind: input.namespace_kind ?? "org",
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "vault.created",
      objectType: "vault",
      objectId: vault!.id,
      data: { name: input.name },
    });
    return vaultView(vault!);
  });
}

export async function listVaults(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "vault.read", { orgId: subject.orgId });
  const bound = subject.kind === "api_key" && subject.vaultId ? eq(vaults.id, subject.vaultId) : undefined;
  const rows = await ctx.db
    .select()
    .from(vaults)
    .where(and(eq(vaults.orgId, subject.orgId), bound))
    .orderBy(asc(vaults.createdAt), asc(vaults.id))
    .limit(page.limit + 1)
    .offset(decodeCursor(page.cursor));
  return toPage(rows.map(vaultView), page);
}

/** One of the organisation's vaults. */
export async function getVault(ctx: AppContext, subject: Subject, vaultId: string) {
  authorize(subject, "vault.read", { orgId: subject.orgId, vaultId });
  return vaultView(await loadOwnVault(ctx.db, subject, vaultId));
}

/** The org's vault by id; 404 when missing, another tenant's, or outside the key's vault binding. */
export async function loadOwnVault(db: Executor, subject: Subject, vaultId: string) {
  const [vault] = await db
    .select()
    .from(vaults)
    .where(and(eq(vaults.id, vaultId), eq(vaults.orgId, subject.orgId)));
  if (!vault) notFound("vault");
  return vault;
}

/**
 * A vault never mixes embedding dimensions: the first content fixes it, and later content of
 * another dimension is refused with a clear error.
 */
export async function claimVaultDimension(
  db: Executor,
  vault: typeof vaults.$inferSelect,
  dimension: number,
  what: string,
): Promise<void> {
  if (vault.embeddingDim === null) {
    const [claimed] = await db
      .update(vaults)
      .set({ embeddingDim: dimension })
      .where(and(eq(vaults.id, vault.id), isNull(vaults.embeddingDim)))
      .returning({ id: vaults.id });
    if (claimed) {
      vault.embeddingDim = dimension;
      return;
    }
    const [fresh] = await db.select({ dim: vaults.embeddingDim }).from(vaults).where(eq(vaults.id, vault.id));
    vault.embeddingDim = fresh!.dim;
  }
  if (vault.embeddingDim !== dimension) {
    throw new AppError(
      "dimension_mismatch",
      `vault '${vault.name}' holds ${vault.embeddingDim}-dimensional embeddings; ${what} is ${dimension}-dimensional`,
    );
  }
}

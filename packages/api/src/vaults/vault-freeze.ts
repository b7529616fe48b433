import { AppError, type Subject } from "@memstore/core";
import { type Executor, type VaultRow, vaults } from "@memstore/db";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { vaultView } from "../kernel/views.ts";
import { relayEventsAfterCommit, writeEvent } from "../outbox/outbox.ts";
import type { freezeVaultInput, unfreezeVaultInput } from "./schemas.ts";
import { loadOwnVault } from "./vaults.ts";
import { settleYankedInstalls } from "./version-yank.ts";

/**
 * `POST /api/v1/vaults/{vault_id}/freeze` (scope `admin`): a legal hold or an audit. From the commit
 * on, every write to the vault answers `423 vault_frozen` — memories, installs, upgrades, rollbacks,
 * uninstalls, its settings — and the platform's own writes (auto-updates, a yank's moves) are
 * skipped with an audit row. Search and export keep working. Audited, and `vault.frozen` announced.
 */
export async function freezeVault(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: z.infer<typeof freezeVaultInput>,
) {
  authorize(subject, "vault.freeze");
  const done = await ctx.db.transaction(async (tx) => {
    const vault = await loadOwnVault(tx, subject, "vault.freeze", vaultId);
    const [frozen] = await tx
      .update(vaults)
      .set({ frozenAt: new Date(), frozenReason: input.reason, frozenBy: actorOf(subject) })
      .where(and(eq(vaults.id, vault.id), isNull(vaults.frozenAt)))
      .returning();
    if (!frozen) throw new AppError("conflict", `vault '${vault.name}' is already frozen`);
    return { vault: frozen, eventId: await announce(tx, subject, frozen, "vault.frozen", input.reason) };
  });
  await relayEventsAfterCommit(ctx, [done.eventId]);
  return vaultView(done.vault);
}

/**
 * `POST …/unfreeze`: writes are taken again; audited and announced (`vault.unfrozen`), and what a
 * yank left waiting on the vault's installs is settled now.
 */
export async function unfreezeVault(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: z.infer<typeof unfreezeVaultInput>,
) {
  authorize(subject, "vault.freeze");
  const done = await ctx.db.transaction(async (tx) => {
    const vault = await loadOwnVault(tx, subject, "vault.freeze", vaultId);
    const [thawed] = await tx
      .update(vaults)
      .set({ frozenAt: null, frozenReason: null, frozenBy: null })
      .where(and(eq(vaults.id, vault.id), isNotNull(vaults.frozenAt)))
      .returning();
    if (!thawed) throw new AppError("conflict", `vault '${vault.name}' is not frozen`);
    const held = { frozen_at: vault.frozenAt?.toISOString(), frozen_reason: vault.frozenReason };
    return {
      vault: thawed,
      eventId: await announce(tx, subject, thawed, "vault.unfrozen", input.reason ?? null, held),
    };
  });
  await relayEventsAfterCommit(ctx, [done.eventId]);
  await settleYankedInstalls(ctx, { vaultId: done.vault.id });
  return vaultView(done.vault);
}

/** The audit row and the vault's event for a freeze or an unfreeze. */
async function announce(
  tx: Executor,
  subject: Subject,
  vault: VaultRow,
  type: "vault.frozen" | "vault.unfrozen",
  reason: string | null,
  extra: Record<string, unknown> = {},
) {
  const data = { vault_id: vault.id, name: vault.name, reason, by: actorOf(subject), ...extra };
  await recordAudit(tx, {
    orgId: vault.orgId,
    actor: actorOf(subject),
    action: type,
    objectType: "vault",
    objectId: vault.id,
    data,
  });
  return writeEvent(tx, { type, orgId: vault.orgId, vaultId: vault.id, data });
}

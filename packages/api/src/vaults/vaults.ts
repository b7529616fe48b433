import { type Action, AppError, newId, type Subject } from "@memstore/core";
import { type Executor, type VaultRow, vaults } from "@memstore/db";
import { and, eq, isNull } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized, type Owned } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { frozenView, vaultView } from "../kernel/views.ts";
import { createVaultInput, updateVaultInput } from "./schemas.ts";
import { vaultDimension, vaultNamed, vaultOfOrg, vaultPage } from "./queries.ts";

export { createVaultInput, updateVaultInput };

export async function createVault(
  ctx: AppContext,
  subject: Subject,
  input: z.infer<typeof createVaultInput>,
) {
  authorize(subject, "vault.create");
  return ctx.db.transaction(async (tx) => {
    await refuseTakenName(tx, subject.orgId, input.name);
    const [vault] = await tx
      .insert(vaults)
      .values({
        id: newId("vault"),
        orgId: subject.orgId,
        name: input.name,
        namespaceKind: input.namespace_kind ?? "org",
        desensitiseOnWrite: input.desensitise_on_write ?? false,
        piiPolicy: input.pii_policy ?? {},
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "vault.created",
      objectType: "vault",
      objectId: vault!.id,
      data: { name: input.name, desensitise_on_write: vault!.desensitiseOnWrite },
    });
    return vaultView(vault!);
  });
}

/** Vault names are unique per organisation: 409 when this one is taken. */
async function refuseTakenName(db: Executor, orgId: string, name: string) {
  const taken = await vaultNamed(db, { orgId, name });
  if (taken) throw new AppError("conflict", `a vault named '${name}' already exists`);
}

/** Renames a vault, changes how memories written to it are desensitised, or sets its retention. */
export async function updateVault(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: z.infer<typeof updateVaultInput>,
) {
  authorize(subject, "vault.write");
  return ctx.db.transaction(async (tx) => {
    const vault = await loadOwnVault(tx, subject, "vault.write", vaultId);
    if (input.name !== undefined && input.name !== vault.name)
      await refuseTakenName(tx, subject.orgId, input.name);
    const [updated] = await tx
      .update(vaults)
      .set({
        name: input.name ?? vault.name,
        desensitiseOnWrite: input.desensitise_on_write ?? vault.desensitiseOnWrite,
        piiPolicy: input.pii_policy ?? vault.piiPolicy,
        ...(input.retention !== undefined && { retention: input.retention }),
      })
      .where(eq(vaults.id, vault.id))
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "vault.updated",
      objectType: "vault",
      objectId: vault.id,
      data: { ...input },
    });
    return vaultView(updated!);
  });
}

export async function listVaults(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "vault.read");
  const onlyVaultId = subject.kind === "api_key" ? subject.vaultId : null;
  const rows = await vaultPage(ctx.db, { orgId: subject.orgId, onlyVaultId, page });
  return toPage(authorizedRows(subject, "vault.read", rows, ownerOfVault).map(vaultView), page);
}

/** One of the organisation's vaults. */
export async function getVault(ctx: AppContext, subject: Subject, vaultId: string) {
  return vaultView(await loadOwnVault(ctx.db, subject, "vault.read", vaultId));
}

/** A vault is the vault of everything in it, itself included. */
const ownerOfVault = (vault: VaultRow): Owned => ({ orgId: vault.orgId, vaultId: vault.id });

/** The actions that write to a vault: a frozen vault refuses each of them. */
const VAULT_WRITES: ReadonlySet<Action> = new Set<Action>(["vault.write", "memory.write"]);

/**
 * The org's vault by id, for `action`; 404 when missing, another tenant's, or outside the key's
 * vault binding; 423 `vault_frozen` when the action writes and the vault is frozen.
 */
export async function loadOwnVault(db: Executor, subject: Subject, action: Action, vaultId: string) {
  const vault = await loadAuthorized(
    subject,
    action,
    "vault",
    () => vaultOfOrg(db, { orgId: subject.orgId, vaultId }),
    ownerOfVault,
  );
  if (VAULT_WRITES.has(action)) refuseFrozen(vault);
  return vault;
}

/** 423 `vault_frozen` for a frozen vault, saying since when, why and who froze it. */
export function refuseFrozen(vault: VaultRow) {
  const frozen = frozenView(vault);
  if (!frozen) return;
  throw new AppError(
    "vault_frozen",
    `vault '${vault.name}' is frozen (${frozen.reason}) since ${frozen.at}: it takes no writes until unfrozen`,
    { frozen },
  );
}

/**
 * A vault never mixes embedding dimensions: the first content fixes it, and later content of
 * another dimension is refused with a clear error.
 */
export async function claimVaultDimension(
  db: Executor,
  vault: VaultRow,
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
    vault.embeddingDim = await vaultDimension(db, { vaultId: vault.id });
  }
  if (vault.embeddingDim !== dimension) {
    throw new AppError(
      "dimension_mismatch",
      `vault '${vault.name}' holds ${vault.embeddingDim}-dimensional embeddings; ${what} is ${dimension}-dimensional`,
    );
  }
}

import type { Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { loadOwnVault } from "../vaults/vaults.ts";
import { vaultEventRows } from "./queries.ts";

export type VaultEvent = { seq: number; id: string; type: string; created_at: string; data: unknown };

/** Checks that the caller may follow a vault's event stream; 404 for another tenant's vault. */
export async function openVaultEvents(ctx: AppContext, subject: Subject, vaultId: string) {
  return loadOwnVault(ctx.db, subject, "vault.events", vaultId);
}

/** The vault's events after `afterSeq` (the stream's Last-Event-ID), oldest first. */
export async function vaultEventsAfter(
  ctx: AppContext,
  vaultId: string,
  afterSeq: number,
  limit = 100,
): Promise<VaultEvent[]> {
  const rows = await vaultEventRows(ctx.db, { vaultId, afterSeq, limit });
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: r.eventId,
    type: r.type,
    created_at: new Date(r.createdAt).toISOString(),
    data: r.data,
  }));
}

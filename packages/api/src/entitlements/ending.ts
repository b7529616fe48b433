import { artifacts, cubeVersions, type EntitlementRow, type Executor, installs, type Tx } from "@memstore/db";
import { and, eq, inArray, isNull, like, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { deleteUnlessShared } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit, writeEvent } from "../outbox/outbox.ts";

/** What ending an entitlement leaves for after its commit: the events to relay, the copies' blobs to delete. */
export type Ended = { eventIds: string[]; orgCopies: Array<{ digest: string }> };

/**
 * What ending an entitlement does, inside the transaction that ended it: the holder's installs of
 * the listing suspended, both organisations' audit logs, `entitlement.revoked` to each vault that
 * held an install, and the holder's fingerprinted copies' rows removed (their blobs are deleted
 * after commit, by the caller, with the digests returned).
 */
export async function endEntitlementEffects(
  tx: Tx,
  row: EntitlementRow,
  listing: { id: string; orgId: string; cubeId: string },
  why: { actor: string; reason: string; refunded: boolean },
): Promise<Ended> {
  const { reason } = why;
  const now = new Date();
  const suspended = await tx
    .update(installs)
    .set({ state: "suspended", updatedAt: now })
    .where(
      and(eq(installs.orgId, row.orgId), eq(installs.listingId, listing.id), isNull(installs.uninstalledAt)),
    )
    .returning({ id: installs.id, vaultId: installs.vaultId });
  const data = {
    entitlement_id: row.id,
    listing_id: listing.id,
    reason,
    refunded: why.refunded,
    install_ids: suspended.map((i) => i.id),
  };
  for (const orgId of new Set([row.orgId, listing.orgId])) {
    await recordAudit(tx, {
      orgId,
      actor: why.actor,
      action: `entitlement.${row.state === "expired" || row.state === "canceled" ? row.state : "revoked"}`,
      objectType: "entitlement",
      objectId: row.id,
      data,
    });
  }
  const eventIds: string[] = [];
  for (const vaultId of new Set(suspended.map((i) => i.vaultId))) {
    eventIds.push(
      await writeEvent(tx, {
        type: "entitlement.revoked",
        orgId: row.orgId,
        vaultId,
        listingId: listing.id,
        data,
      }),
    );
  }
  // The holder's fingerprinted copies of the listing's versions go with it.
  const orgCopies = await tx
    .delete(artifacts)
    .where(
      and(
        eq(artifacts.forOrgId, row.orgId),
        like(artifacts.role, "fingerprinted%"),
        inArray(
          artifacts.versionId,
          tx
            .select({ id: cubeVersions.id })
            .from(cubeVersions)
            .where(eq(cubeVersions.cubeId, listing.cubeId)),
        ),
      ),
    )
    .returning({ digest: artifacts.digest });
  return { eventIds, orgCopies };
}

/** After the transaction that ended an entitlement commits: its events relayed, its holder's copies' blobs deleted. */
export async function afterEntitlementEnded(ctx: AppContext, ended: Ended | null | undefined) {
  if (!ended) return;
  await relayEventsAfterCommit(ctx, ended.eventIds);
  for (const copy of ended.orgCopies) await deleteUnlessShared(ctx, copy.digest);
}

/**
 * A new entitlement brings back the organisation's installs of the listing its last one suspended;
 * one a critical yank suspended stays so until it moves off the yanked version.
 */
export async function resumeSuspendedInstalls(tx: Executor, orgId: string, listingId: string) {
  await tx
    .update(installs)
    .set({ state: "activated", updatedAt: new Date() })
    .where(
      and(
        eq(installs.orgId, orgId),
        eq(installs.listingId, listingId),
        isNull(installs.uninstalledAt),
        eq(installs.state, "suspended"),
        sql`coalesce(${installs.notice}->>'severity', '') <> 'critical'`,
      ),
    );
}

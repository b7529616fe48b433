import { AppError, decide, describeError, newId, type Subject } from "@memstore/core";
import {
  type Executor,
  type OutboxEventRow,
  outboxEvents,
  sql,
  type EventSubscriptionRow,
  webhookDeliveries,
} from "@memstore/db";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { acquireListing } from "../store/acquire-listing.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { keyById } from "../identity/queries.ts";
import { lastMove, liveInstallOfListing } from "../vaults/queries.ts";
import { installListing, upgradeInstall } from "../vaults/installs.ts";
import {
  deliveriesOf,
  outboxEvent,
  subscriptionsConcerned,
  subscriptionsMatching,
  vaultIdsOf,
  vaultsInstalling,
} from "./queries.ts";
import { writeVocabulary } from "../listings/queries.ts";

/**
 * The `fanout` job: delivers one outbox event to everyone it concerns — vault event streams,
 * matching subscriptions' webhooks, and (for a published version) auto-install targets whose version
 * policy allows it. A yanked version reaches the same streams and webhooks as its publication did. Every step is idempotent, so a retry after a crash repeats nothing.
 */
export async function fanOutEvent(ctx: AppContext, eventId: string): Promise<"done" | "skipped"> {
  const event = await outboxEvent(ctx.db, { eventId });
  if (!event || event.fannedOutAt) return "skipped";
  const deliveries: string[] = [];
  if (event.type === "version.published" || event.type === "version.yanked") {
    const matched = await subscriptionsMatching(ctx.db, { listingId: event.listingId! });
    const streamVaults = new Set(await vaultsInstalling(ctx.db, { listingId: event.listingId! }));
    for (const sub of matched) {
      if (sub.sse) for (const vaultId of await sseVaults(ctx.db, sub)) streamVaults.add(vaultId);
      if (sub.webhookUrl) deliveries.push(...(await recordDeliveries(ctx.db, event, [sub])));
    }
    await appendToVaultStreams(ctx.db, event, [...streamVaults]);
    if (event.type === "version.published") {
      // The store finds the listing by the words of its newest version.
      const { cube, version } = event.data as { cube: { id: string }; version: string };
      await writeVocabulary(ctx.db, { listingId: event.listingId!, cubeId: cube.id, version });
      for (const sub of matched.filter((s) => s.autoInstallVaultId)) await autoInstall(ctx, sub, event);
    }
  } else {
    // install.updated and entitlement.revoked concern one organisation (and one vault, if set).
    if (event.vaultId) await appendToVaultStreams(ctx.db, event, [event.vaultId]);
    const concerned = await subscriptionsConcerned(ctx.db, {
      orgId: event.orgId!,
      eventSubscriptionId: event.eventSubscriptionId,
      vaultId: event.vaultId,
    });
    deliveries.push(
      ...(await recordDeliveries(
        ctx.db,
        event,
        concerned.filter((s) => s.webhookUrl),
      )),
    );
  }
  await ctx.db.update(outboxEvents).set({ fannedOutAt: new Date() }).where(eq(outboxEvents.id, event.id));
  for (const deliveryId of deliveries) await ctx.jobs.enqueue("deliver-webhook", { deliveryId });
  return "done";
}

/** An SSE subscription shows in its auto-install vault's stream, or else in all its org's vaults. */
async function sseVaults(db: Executor, sub: EventSubscriptionRow): Promise<string[]> {
  if (sub.autoInstallVaultId) return [sub.autoInstallVaultId];
  return vaultIdsOf(db, { orgId: sub.orgId });
}

async function appendToVaultStreams(db: Executor, event: OutboxEventRow, vaultIds: string[]) {
  if (vaultIds.length === 0) return;
  await db.execute(sql`
    insert into vault_events (vault_id, event_id, type, data, created_at)
    select v, ${event.id}, ${event.type}, ${JSON.stringify(event.data)}::jsonb, ${event.createdAt}::timestamptz
    from unnest(${sql.param(vaultIds)}::text[]) as v
    on conflict (vault_id, event_id) do nothing`);
}

async function recordDeliveries(
  db: Executor,
  event: OutboxEventRow,
  subs: EventSubscriptionRow[],
): Promise<string[]> {
  if (subs.length === 0) return [];
  await db
    .insert(webhookDeliveries)
    .values(subs.map((s) => ({ id: newId("whd"), eventSubscriptionId: s.id, eventId: event.id })))
    .onConflictDoNothing();
  const rows = await deliveriesOf(db, { eventId: event.id });
  const wanted = new Set(subs.map((s) => s.id));
  return rows.filter((r) => wanted.has(r.eventSubscriptionId) && r.status === "pending").map((r) => r.id);
}

/**
 * Who acquires a free listing on the subscription's behalf: the organisation, unless a key bound to
 * a vault set the subscription up — such a key acquires nothing, so neither does what it made, and
 * the subscription acts as bound (the policy refuses it the acquire).
 */
async function acquirerFor(
  ctx: AppContext,
  sub: EventSubscriptionRow,
  subject: Extract<Subject, { kind: "event_subscription" }>,
): Promise<Subject> {
  const keyId = sub.createdBy.startsWith("key:") ? sub.createdBy.slice("key:".length) : null;
  if (keyId) {
    const key = await keyById(ctx.db, { keyId });
    if (!key || key.vaultId !== null) return subject;
  }
  return { ...subject, vaultId: null };
}

/**
 * Installs or upgrades the listing in the subscription's vault, acting as the subscription (its
 * scopes and vault only). A free listing is acquired on the way; a paid one without an entitlement,
 * or a version the policy or the vault's dimension refuses, is skipped and logged.
 */
async function autoInstall(ctx: AppContext, sub: EventSubscriptionRow, event: OutboxEventRow) {
  const subject: Extract<Subject, { kind: "event_subscription" }> = {
    kind: "event_subscription",
    eventSubscriptionId: sub.id,
    orgId: sub.orgId,
    scopes: ["subscribe"],
    vaultId: sub.autoInstallVaultId,
  };
  const listingId = event.listingId!;
  const vaultId = sub.autoInstallVaultId!;
  try {
    const entitlement = await latestEntitlement(ctx.db, { orgId: sub.orgId, listingId: listingId });
    if (!decide(subject, "vault.write", {}, { entitlement }).allow)
      await acquireListing(ctx, await acquirerFor(ctx, sub, subject), listingId);
    const existing = await liveInstallOfListing(ctx.db, { vaultId, listingId });
    if (existing && (await lastMove(ctx.db, { installId: existing.id }))?.movedBy === "rollback") {
      // Someone rolled it back: an auto-update does not undo that; an upgrade asked for does.
      ctx.log(
        `subscription ${sub.id}: ${existing.id} was rolled back; auto-update of ${listingId} left to its owner`,
      );
    } else if (existing) await upgradeInstall(ctx, subject, vaultId, existing.id, sub.autoInstallPolicy!);
    else
      await installListing(ctx, subject, vaultId, {
        listing_id: listingId,
        version_policy: sub.autoInstallPolicy!,
      });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    ctx.log(`subscription ${sub.id}: auto-install of ${listingId} skipped: ${describeError(error)}`);
    if (error.code === "vault_frozen") await auditFrozenSkip(ctx, sub, event);
  }
}

/** A frozen vault's auto-update is skipped, and its organisation's audit log says so. */
async function auditFrozenSkip(ctx: AppContext, sub: EventSubscriptionRow, event: OutboxEventRow) {
  await ctx.db.transaction((tx) =>
    recordAudit(tx, {
      orgId: sub.orgId,
      actor: `subscription:${sub.id}`,
      action: "install.auto_update_skipped",
      objectType: "vault",
      objectId: sub.autoInstallVaultId!,
      data: { reason: "vault_frozen", listing_id: event.listingId, version: event.data.version ?? null },
    }),
  );
}

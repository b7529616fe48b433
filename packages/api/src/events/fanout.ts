import { AppError, decide, describeError, newId, type Subject } from "@memstore/core";
import {
  apiKeys,
  type Executor,
  installs,
  type OutboxEventRow,
  outboxEvents,
  queryRows,
  sql,
  type EventSubscriptionRow,
  eventSubscriptions,
  vaults,
  webhookDeliveries,
} from "@memstore/db";
import { and, eq, isNull, or } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { acquireListing } from "../store/acquire-listing.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { installListing, upgradeInstall } from "../vaults/installs.ts";

/** How close a listing must be to a subscription's semantic query (cosine similarity) to match. */
export const SEMANTIC_MATCH = 0.5;

/**
 * The `fanout` job: delivers one outbox event to everyone it concerns — vault event streams,
 * matching subscriptions' webhooks, and auto-install targets whose version policy allows the new
 * version. Every step is idempotent, so a retry after a crash repeats nothing.
 */
export async function fanOutEvent(ctx: AppContext, eventId: string): Promise<"done" | "skipped"> {
  const [event] = await ctx.db.select().from(outboxEvents).where(eq(outboxEvents.id, eventId));
  if (!event || event.fannedOutAt) return "skipped";
  const deliveries: string[] = [];
  if (event.type === "version.published") {
    const matched = await matchingSubscriptions(ctx.db, event.listingId!);
    const streamVaults = new Set(
      (
        await ctx.db
          .selectDistinct({ vaultId: installs.vaultId })
          .from(installs)
          .where(and(eq(installs.listingId, event.listingId!), isNull(installs.uninstalledAt)))
      ).map((r) => r.vaultId),
    );
    for (const sub of matched) {
      if (sub.sse) for (const vaultId of await sseVaults(ctx.db, sub)) streamVaults.add(vaultId);
      if (sub.webhookUrl) deliveries.push(...(await recordDeliveries(ctx.db, event, [sub])));
    }
    await appendToVaultStreams(ctx.db, event, [...streamVaults]);
    for (const sub of matched.filter((s) => s.autoInstallVaultId)) await autoInstall(ctx, sub, event);
  } else {
    // install.updated and entitlement.revoked concern one organisation (and one vault, if set).
    if (event.vaultId) await appendToVaultStreams(ctx.db, event, [event.vaultId]);
    const concerned = await ctx.db
      .select()
      .from(eventSubscriptions)
      .where(
        and(
          eq(eventSubscriptions.orgId, event.orgId!),
          isNull(eventSubscriptions.deletedAt),
          event.eventSubscriptionId
            ? or(
                eq(eventSubscriptions.id, event.eventSubscriptionId),
                eq(eventSubscriptions.autoInstallVaultId, event.vaultId ?? ""),
              )
            : eq(eventSubscriptions.autoInstallVaultId, event.vaultId ?? ""),
        ),
      );
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

/**
 * Live event subscriptions whose filter matches a listing: its id, or all of tags (any overlap), types,
 * and a query (full-text match on the listing, or semantic similarity ≥ SEMANTIC_MATCH). Only
 * listings the subscriber may see: public ones, unlisted ones named by id, and its own.
 */
function matchingSubscriptions(db: Executor, listingId: string) {
  return queryRows<EventSubscriptionRow>(
    db,
    sql`select s.id, s.org_id as "orgId", s.filter, s.webhook_url as "webhookUrl", s.secret, s.sse,
          s.auto_install_vault_id as "autoInstallVaultId", s.auto_install_policy as "autoInstallPolicy",
          s.created_by as "createdBy"
        from event_subscriptions s, listings l join cubes c on c.id = l.cube_id
        where l.id = ${listingId} and l.status = 'published' and s.deleted_at is null
          and (l.org_id = s.org_id or l.visibility = 'public'
               or (l.visibility = 'unlisted' and s.filter->>'listing_id' = l.id))
          and (s.filter->>'listing_id' is null or s.filter->>'listing_id' = l.id)
          and (s.filter->'tags' is null
               or c.tags && array(select jsonb_array_elements_text(s.filter->'tags')))
          and (s.filter->'types' is null or s.filter->'types' ? c.type)
          and (s.filter->>'query' is null
               or l.tsv @@ websearch_to_tsquery('english', s.filter->>'query')
               or (case when s.query_embedding_dim = l.embedding_dim
                        then 1 - (s.query_embedding <=> l.embedding) else 0 end) >= ${SEMANTIC_MATCH})
        order by s.created_at`,
  );
}

/** An SSE subscription shows in its auto-install vault's stream, or else in all its org's vaults. */
async function sseVaults(db: Executor, sub: EventSubscriptionRow): Promise<string[]> {
  if (sub.autoInstallVaultId) return [sub.autoInstallVaultId];
  const rows = await db.select({ id: vaults.id }).from(vaults).where(eq(vaults.orgId, sub.orgId));
  return rows.map((r) => r.id);
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
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      status: webhookDeliveries.status,
      eventSubscriptionId: webhookDeliveries.eventSubscriptionId,
    })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.eventId, event.id));
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
    const [key] = await ctx.db
      .select({ vaultId: apiKeys.vaultId })
      .from(apiKeys)
      .where(eq(apiKeys.id, keyId));
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
    const [existing] = await ctx.db
      .select({ id: installs.id })
      .from(installs)
      .where(
        and(eq(installs.vaultId, vaultId), eq(installs.listingId, listingId), isNull(installs.uninstalledAt)),
      );
    if (existing) await upgradeInstall(ctx, subject, vaultId, existing.id, sub.autoInstallPolicy!);
    else
      await installListing(ctx, subject, vaultId, {
        listing_id: listingId,
        version_policy: sub.autoInstallPolicy!,
      });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    ctx.log(`subscription ${sub.id}: auto-install of ${listingId} skipped: ${describeError(error)}`);
  }
}

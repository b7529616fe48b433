import {
  type EventSubscriptionRow,
  eventSubscriptions,
  type Executor,
  installs,
  outboxEvents,
  queryRows,
  sql,
  vaultEvents,
  vaults,
  webhookDeliveries,
} from "@memstore/db";
import { and, asc, eq, gt, isNull, or } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * The reads of events, each `fn(db, { orgId | vaultId | …, … })`: event subscriptions, the outbox,
 * whom an event concerns, webhook deliveries and vault streams. The services judge each row.
 */

/** One page of the organisation's live event subscriptions, oldest first. */
export function eventSubscriptionPage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(eventSubscriptions)
      .where(and(eq(eventSubscriptions.orgId, at.orgId), isNull(eventSubscriptions.deletedAt)))
      .orderBy(asc(eventSubscriptions.createdAt), asc(eventSubscriptions.id))
      .$dynamic(),
    at.page,
  );
}

/** An event of the outbox by id. */
export async function outboxEvent(db: Executor, at: { eventId: string }) {
  const [row] = await db.select().from(outboxEvents).where(eq(outboxEvents.id, at.eventId));
  return row ?? null;
}

/** The vaults with a live install of the listing (their streams hear of its new versions). */
export async function vaultsInstalling(db: Executor, at: { listingId: string }) {
  const rows = await db
    .selectDistinct({ vaultId: installs.vaultId })
    .from(installs)
    .where(and(eq(installs.listingId, at.listingId), isNull(installs.uninstalledAt)));
  return rows.map((r) => r.vaultId);
}

/** Every vault of the organisation. */
export async function vaultIdsOf(db: Executor, at: { orgId: string }) {
  const rows = await db.select({ id: vaults.id }).from(vaults).where(eq(vaults.orgId, at.orgId));
  return rows.map((r) => r.id);
}

/** How close a listing must be to a subscription's semantic query (cosine similarity) to match. */
export const SEMANTIC_MATCH = 0.5;

/**
 * Live event subscriptions whose filter matches a listing: its id, or all of tags (any overlap), types,
 * and a query (full-text match on the listing, or semantic similarity ≥ SEMANTIC_MATCH). Only
 * listings the subscriber may see: public ones, unlisted ones named by id, and its own.
 */
export function subscriptionsMatching(db: Executor, at: { listingId: string }) {
  return queryRows<EventSubscriptionRow>(
    db,
    sql`select s.id, s.org_id as "orgId", s.filter, s.webhook_url as "webhookUrl", s.secret, s.sse,
          s.auto_install_vault_id as "autoInstallVaultId", s.auto_install_policy as "autoInstallPolicy",
          s.created_by as "createdBy"
        from event_subscriptions s, listings l join cubes c on c.id = l.cube_id
        where l.id = ${at.listingId} and l.status = 'published' and s.deleted_at is null
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

/**
 * The organisation's live event subscriptions an event of one organisation concerns: the one named
 * (if any) and those auto-installing into its vault; for an event of the whole organisation (no
 * vault, no subscription: an access request's answer), every one of them.
 */
export function subscriptionsConcerned(
  db: Executor,
  at: { orgId: string; eventSubscriptionId: string | null; vaultId: string | null },
) {
  const intoVault = eq(eventSubscriptions.autoInstallVaultId, at.vaultId ?? "");
  return db
    .select()
    .from(eventSubscriptions)
    .where(
      and(
        eq(eventSubscriptions.orgId, at.orgId),
        isNull(eventSubscriptions.deletedAt),
        at.eventSubscriptionId
          ? or(eq(eventSubscriptions.id, at.eventSubscriptionId), intoVault)
          : at.vaultId === null
            ? undefined
            : intoVault,
      ),
    );
}

/** The webhook deliveries recorded for an event, with their status and subscription. */
export function deliveriesOf(db: Executor, at: { eventId: string }) {
  return db
    .select({
      id: webhookDeliveries.id,
      status: webhookDeliveries.status,
      eventSubscriptionId: webhookDeliveries.eventSubscriptionId,
    })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.eventId, at.eventId));
}

/** A webhook delivery with its subscription and event. */
export async function deliveryWithEvent(db: Executor, at: { deliveryId: string }) {
  const [row] = await db
    .select({ delivery: webhookDeliveries, subscription: eventSubscriptions, event: outboxEvents })
    .from(webhookDeliveries)
    .innerJoin(eventSubscriptions, eq(eventSubscriptions.id, webhookDeliveries.eventSubscriptionId))
    .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, at.deliveryId));
  return row ?? null;
}

/** Up to `limit` events of the vault's stream after `afterSeq`, oldest first. */
export function vaultEventRows(db: Executor, at: { vaultId: string; afterSeq: number; limit: number }) {
  return db
    .select()
    .from(vaultEvents)
    .where(and(eq(vaultEvents.vaultId, at.vaultId), gt(vaultEvents.seq, at.afterSeq)))
    .orderBy(asc(vaultEvents.seq))
    .limit(at.limit);
}

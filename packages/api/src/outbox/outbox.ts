import { describeError, newId } from "@memstore/core";
import {
  cubes,
  cubeVersions,
  type EventType,
  type Executor,
  listings,
  organizations,
  outboxEvents,
  queryRows,
  sql,
} from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { yankView } from "../kernel/views.ts";

export type { EventType };

export type NewEvent = {
  type: EventType;
  orgId?: string | null;
  vaultId?: string | null;
  listingId?: string | null;
  eventSubscriptionId?: string | null;
  data: Record<string, unknown>;
};

/**
 * Writes an event into the outbox. Call it inside the transaction of the change it announces, so
 * the event exists exactly when the change does; then `relayEvents` hands it to the fan-out job.
 */
export async function writeEvent(tx: Executor, event: NewEvent): Promise<string> {
  const id = newId("evt");
  await tx.insert(outboxEvents).values({
    id,
    type: event.type,
    orgId: event.orgId ?? null,
    vaultId: event.vaultId ?? null,
    listingId: event.listingId ?? null,
    eventSubscriptionId: event.eventSubscriptionId ?? null,
    data: event.data,
  });
  return id;
}

/**
 * `version.published` for every published listing of a version's cube: the version is new in the
 * store. Written when a version of a listed cube turns ready, and when a listing is published.
 */
export function writeVersionPublished(tx: Executor, versionId: string, onlyListingId?: string) {
  return writeStoreVersionEvents(tx, "version.published", versionId, onlyListingId);
}

/**
 * A store event about one version, for every published listing of its cube (or only the one named):
 * `version.published`, or `version.yanked` with the version's tombstone.
 */
export async function writeStoreVersionEvents(
  tx: Executor,
  type: "version.published" | "version.yanked",
  versionId: string,
  onlyListingId?: string,
) {
  const rows = await tx
    .select({ listing: listings, cube: cubes, version: cubeVersions, publisher: organizations.slug })
    .from(cubeVersions)
    .innerJoin(cubes, eq(cubes.id, cubeVersions.cubeId))
    .innerJoin(listings, eq(listings.cubeId, cubes.id))
    .innerJoin(organizations, eq(organizations.id, cubes.orgId))
    .where(and(eq(cubeVersions.id, versionId), eq(listings.status, "published")));
  const ids: string[] = [];
  for (const { listing, cube, version, publisher } of rows) {
    if (onlyListingId && listing.id !== onlyListingId) continue;
    ids.push(
      await writeEvent(tx, {
        type,
        listingId: listing.id,
        data: {
          listing_id: listing.id,
          cube: { id: cube.id, slug: cube.slug, type: cube.type, tags: cube.tags, publisher },
          version: version.version,
          changelog: version.manifest.changelog ?? null,
          ...(type === "version.yanked" && { yanked: yankView(version) }),
        },
      }),
    );
  }
  return ids;
}

/** The oldest events not yet fanned out (up to 1,000 a sweep). */
const UNRELAYED = sql`select id from outbox_events where fanned_out_at is null order by seq limit 1000`;

/**
 * Hands every event not yet fanned out to the `fanout` job (its job id is the event id, so handing
 * one over twice runs it once). Called after a commit and by the workers' periodic sweep, which
 * picks up events whose enqueue was lost to a crash or an outage.
 */
export async function relayEvents(ctx: AppContext, eventIds?: string[]): Promise<number> {
  const ids = eventIds ?? (await queryRows<{ id: string }>(ctx.db, UNRELAYED)).map((r) => r.id);
  for (const eventId of ids) await ctx.jobs.enqueue("fanout", { eventId });
  return ids.length;
}

/** Relays after a commit; a failed enqueue is left to the sweep instead of failing the request. */
export async function relayEventsAfterCommit(ctx: AppContext, eventIds: string[]) {
  if (eventIds.length === 0) return;
  await relayEvents(ctx, eventIds).catch((error: unknown) =>
    ctx.log(`events ${eventIds.join(", ")} wait for the outbox sweep: ${describeError(error)}`),
  );
}

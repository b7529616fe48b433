import { AppError, newId, notFound, type Subject } from "@memstore/core";
import {
  type AccessRequestRow,
  accessRequests,
  type Executor,
  type ListingRow,
  type OrganizationRow,
} from "@memstore/db";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { organizationById } from "../identity/queries.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { decodeCursor, type PageQuery, toPage } from "../kernel/pagination.ts";
import { loadOwnListing } from "../catalog/cubes.ts";
import { cubeById } from "../catalog/queries.ts";
import { insertOffer } from "../listings/offers.ts";
import { relayEventsAfterCommit, writeEvent } from "../outbox/outbox.ts";
import type { accessRequestInput, decideAccessInput, ownRequestsQuery } from "./schemas.ts";
import { accessRequestPage, accessRequestsIn, incomingAccessRequest } from "./queries.ts";
import { assertPublished, loadVisibleListing } from "./store-listings.ts";

type Listed = { request: AccessRequestRow; title: string; org: Pick<OrganizationRow, "slug" | "name"> };

export function accessRequestView({ request: r, title, org }: Listed) {
  return {
    id: r.id,
    listing: { id: r.listingId, title },
    organization: { slug: org.slug, name: org.name },
    message: r.message,
    purpose: r.purpose,
    state: r.state,
    reason: r.reason,
    offer_id: r.offerId,
    decided_at: r.decidedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
  };
}

/**
 * A buyer asks for a listing that is `access: "request"`: one pending request per organisation and
 * listing; the publisher and the buyer both hear of it (`access_request.updated`).
 */
export async function requestAccess(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  input: z.infer<typeof accessRequestInput>,
) {
  authorize(subject, "store.acquire");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  assertPublished(listing);
  if (listing.orgId === subject.orgId)
    throw new AppError("conflict", "a publisher does not ask for its own listing");
  if (listing.access !== "request") {
    throw new AppError("conflict", "this listing is open to every buyer: acquire it, no request is needed");
  }
  const done = await ctx.db.transaction(async (tx) => {
    if ((await accessRequestsIn(tx, { orgId: subject.orgId, listingId, state: "pending" })).length > 0) {
      throw new AppError("conflict", "your organisation's request for this listing is still pending");
    }
    const [row] = await tx
      .insert(accessRequests)
      .values({
        id: newId("areq"),
        listingId,
        orgId: subject.orgId,
        requestedBy: actorOf(subject),
        message: input.message,
        purpose: input.purpose ?? null,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError("conflict", "your organisation's request for this listing is still pending");
    return announce(tx, subject, listing, row, "access_request.created");
  });
  await relayEventsAfterCommit(ctx, done.eventIds);
  return done.view;
}

/** The publisher's incoming requests for one of its listings, newest first. */
export async function listIncomingRequests(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  page: PageQuery,
) {
  // The request's own faults first: a broken cursor is a 400 whatever the listing.
  decodeCursor(page.cursor);
  const listing = await loadOwnListing(ctx.db, subject, listingId);
  const rows = await accessRequestPage(ctx.db, { listingId: listing.id, page });
  return toPage(rows.map(accessRequestView), page);
}

/** The organisation's own requests (to one listing, when named), newest first. */
export async function listOwnRequests(
  ctx: AppContext,
  subject: Subject,
  { listing_id, ...page }: z.infer<typeof ownRequestsQuery>,
) {
  authorize(subject, "store.read");
  const rows = await accessRequestPage(ctx.db, {
    orgId: subject.orgId,
    ...(listing_id && { listingId: listing_id }),
    page,
  });
  return toPage(rows.map(accessRequestView), page);
}

/**
 * The publisher answers a pending request: approved (with a private offer at its own price and
 * terms, when given: the buyer acquires under it) or denied, with a reason. Audited on both sides.
 */
export async function decideAccessRequest(
  ctx: AppContext,
  subject: Subject,
  requestId: string,
  decision: "approved" | "denied",
  input: z.infer<typeof decideAccessInput>,
) {
  authorize(subject, "listing.write");
  if (decision === "denied" && input.offer) throw new AppError("invalid_input", "a denial makes no offer");
  const done = await ctx.db.transaction(async (tx) => {
    const found = await incomingAccessRequest(tx, { publisherOrgId: subject.orgId, requestId });
    if (!found) notFound("access request");
    await loadOwnListing(tx, subject, found.listing.id);
    if (found.request.state !== "pending") {
      throw new AppError("conflict", `this request was already ${found.request.state}`);
    }
    const offer = input.offer
      ? await insertOffer(tx, subject, found.listing, { ...found.org, id: found.request.orgId }, input.offer)
      : null;
    const [row] = await tx
      .update(accessRequests)
      .set({
        state: decision,
        decidedBy: actorOf(subject),
        decidedAt: new Date(),
        reason: input.reason ?? null,
        offerId: offer?.id ?? null,
      })
      .where(eq(accessRequests.id, requestId))
      .returning();
    return announce(tx, subject, found.listing, row!, `access_request.${decision}`);
  });
  await relayEventsAfterCommit(ctx, done.eventIds);
  return done.view;
}

/**
 * What the store asks of a buyer before it acquires a listing: nothing for an open one; for one that
 * is `access: "request"`, an approved request (`403 access_not_granted` otherwise).
 */
export async function assertAccessGranted(db: Executor, subject: Subject, listing: ListingRow) {
  if (listing.access !== "request" || listing.orgId === subject.orgId) return;
  const approved = await accessRequestsIn(db, {
    orgId: subject.orgId,
    listingId: listing.id,
    state: "approved",
  });
  if (approved.length === 0) {
    throw new AppError(
      "access_not_granted",
      "this listing is sold on request: ask for access (POST /api/v1/store/listings/{listing_id}/access-requests) and acquire once the publisher approves",
    );
  }
}

/** The row's audit in both organisations' logs, and `access_request.updated` to both. */
async function announce(
  tx: Executor,
  subject: Subject,
  listing: ListingRow,
  row: AccessRequestRow,
  action: string,
) {
  const asker = await organizationById(tx, { orgId: row.orgId });
  const publisher = await organizationById(tx, { orgId: listing.orgId });
  const title = (await cubeById(tx, { cubeId: listing.cubeId }))?.title ?? listing.id;
  const view = accessRequestView({ request: row, title, org: { slug: asker!.slug, name: asker!.name } });
  const eventIds: string[] = [];
  for (const orgId of [row.orgId, listing.orgId]) {
    await recordAudit(tx, {
      orgId,
      actor: actorOf(subject),
      action,
      objectType: "access_request",
      objectId: row.id,
      data: { listing_id: listing.id, state: row.state, org_slug: asker!.slug, publisher: publisher!.slug },
    });
    eventIds.push(
      await writeEvent(tx, { type: "access_request.updated", orgId, listingId: listing.id, data: view }),
    );
  }
  return { view, eventIds };
}

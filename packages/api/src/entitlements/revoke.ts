import { AppError, notFound, type Subject } from "@memstore/core";
import {
  artifacts,
  cubeVersions,
  type EntitlementRow,
  entitlements,
  installs,
  listings,
  sales,
  type Tx,
} from "@memstore/db";
import { and, desc, eq, inArray, isNull, like } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { deleteUnlessShared } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit, writeEvent } from "../outbox/outbox.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { entitlementView } from "./entitlements.ts";
import { requireStripe } from "../payments/stripe-client.ts";

export const revokeInput = z
  .object({ reason: z.string().trim().min(1).max(500), refund: z.boolean().default(false) })
  .strict();

/**
 * A publisher ends an organisation's entitlement to one of its listings, saying why, and refunds
 * the sale if asked (Stripe's refund first: nothing is revoked when it fails). In one transaction
 * the entitlement becomes `revoked`, that organisation's installs of the listing are `suspended`
 * (search leaves them out from the next query; downloads answer 402 entitlement_inactive), both
 * organisations' audit logs record it and `entitlement.revoked` goes to each vault that held an
 * install. The organisation's fingerprinted copies are deleted after.
 */
export async function revokeEntitlement(
  ctx: AppContext,
  subject: Subject,
  entitlementId: string,
  input: z.input<typeof revokeInput>,
) {
  authorize(subject, "listing.write");
  const { reason, refund } = revokeInput.parse(input);
  const [found] = await ctx.db
    .select({ entitlement: entitlements, listing: listings })
    .from(entitlements)
    .innerJoin(listings, eq(listings.id, entitlements.listingId))
    .where(and(eq(entitlements.id, entitlementId), eq(listings.orgId, subject.orgId)));
  if (!found) notFound("entitlement");
  authorize(subject, "listing.write", { orgId: found.listing.orgId });
  const { entitlement, listing } = found;
  if (entitlement.revokedAt) throw new AppError("conflict", "the entitlement is already revoked");

  let refunded: { saleId: string; refundId: string } | null = null;
  if (refund) {
    // The latest payment: a purchase's only one, a subscription's current period.
    const [sale] = await ctx.db
      .select()
      .from(sales)
      .where(and(eq(sales.entitlementId, entitlement.id), isNull(sales.refundedAt)))
      .orderBy(desc(sales.createdAt))
      .limit(1);
    if (!sale)
      throw new AppError("conflict", "nothing was paid for this entitlement, so nothing can be refunded");
    const made = await requireStripe(ctx).refunds.create(
      {
        payment_intent: sale.providerPaymentId,
        metadata: { entitlement_id: entitlement.id },
        // A destination charge's refund takes the publisher's share back, and the platform's fee.
        ...(sale.destinationAccount && { reverse_transfer: true, refund_application_fee: true }),
      },
      { idempotencyKey: `memstore-refund-${sale.id}` },
    );
    refunded = { saleId: sale.id, refundId: made.id };
  }

  // A revoked subscription is charged no more: Stripe ends it now (its webhook then finds the
  // entitlement already revoked and changes nothing).
  if (entitlement.subscriptionId && entitlement.state !== "canceled") {
    await requireStripe(ctx).subscriptions.cancel(
      entitlement.subscriptionId,
      {},
      { idempotencyKey: `memstore-revoke-${entitlement.id}` },
    );
  }
  const now = new Date();
  const { row, eventIds, orgCopies } = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(entitlements)
      .set({ state: "revoked", revokedAt: now, revokedReason: reason })
      .where(and(eq(entitlements.id, entitlement.id), isNull(entitlements.revokedAt)))
      .returning();
    if (!row) throw new AppError("conflict", "the entitlement is already revoked");
    if (refunded) {
      await tx
        .update(sales)
        .set({ refundId: refunded.refundId, refundedAt: now })
        .where(eq(sales.id, refunded.saleId));
    }
    const { eventIds, orgCopies } = await endEntitlementEffects(tx, row, listing, {
      actor: actorOf(subject),
      reason,
      refunded: refunded !== null,
    });
    return { row, eventIds, orgCopies };
  });
  await relayEventsAfterCommit(ctx, eventIds);
  for (const copy of orgCopies) await deleteUnlessShared(ctx, copy.digest);
  return entitlementView(row);
}

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
) {
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

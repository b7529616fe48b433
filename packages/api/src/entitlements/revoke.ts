import { AppError, notFound, type Subject } from "@memstore/core";
import { sales } from "@memstore/db";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { requireStripe } from "../payments/stripe-client.ts";
import { afterEntitlementEnded } from "./ending.ts";
import { entitlementView } from "./entitlements.ts";
import { moveEntitlement } from "./lifecycle.ts";
import { latestUnrefundedSale, soldEntitlement } from "./queries.ts";

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
  const found = await soldEntitlement(ctx.db, { sellerOrgId: subject.orgId, entitlementId });
  if (!found) notFound("entitlement");
  authorize(subject, "listing.write", { orgId: found.listing.orgId });
  const { entitlement } = found;
  if (entitlement.revokedAt) throw new AppError("conflict", "the entitlement is already revoked");

  let refunded: { saleId: string; refundId: string } | null = null;
  if (refund) {
    const sale = await latestUnrefundedSale(ctx.db, { entitlementId: entitlement.id });
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
  if (entitlement.stripeSubscriptionId && entitlement.state !== "canceled") {
    await requireStripe(ctx).subscriptions.cancel(
      entitlement.stripeSubscriptionId,
      {},
      { idempotencyKey: `memstore-revoke-${entitlement.id}` },
    );
  }
  const { row, ended } = await ctx.db.transaction(async (tx) => {
    const moved = await moveEntitlement(tx, entitlement.id, {
      cause: refunded ? "refund" : "revoke",
      to: "revoked",
      actor: actorOf(subject),
      reason,
    });
    if (refunded) {
      await tx
        .update(sales)
        .set({ refundId: refunded.refundId, refundedAt: new Date() })
        .where(eq(sales.id, refunded.saleId));
    }
    return moved;
  });
  await afterEntitlementEnded(ctx, ended);
  return entitlementView(row);
}

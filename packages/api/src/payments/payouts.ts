import type { Subject } from "@memstore/core";
import { payoutAccounts, type Tx } from "@memstore/db";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { latestSales, payoutAccountOf } from "./queries.ts";
import { exactInteger } from "./sales-report.ts";
import { requireStripe } from "./stripe-client.ts";

type PayoutAccountRow = typeof payoutAccounts.$inferSelect;

const accountView = (a: PayoutAccountRow) => ({
  id: a.stripeAccountId,
  charges_enabled: a.chargesEnabled,
  payouts_enabled: a.payoutsEnabled,
  details_submitted: a.detailsSubmitted,
});

/**
 * The Stripe account the publisher's share of a sale goes to, once it may take charges: sales are
 * then destination charges (the platform keeps its fee). Null until onboarding is done, when the
 * platform holds the publisher's share.
 */
export async function payoutDestination(ctx: AppContext, sellerOrgId: string): Promise<string | null> {
  const account = await payoutAccountOf(ctx.db, { orgId: sellerOrgId });
  return account?.chargesEnabled ? account.stripeAccountId : null;
}

/**
 * A publisher's payout account (Stripe Connect Express), made once, and a fresh onboarding link to
 * open it or finish it: Stripe's hosted pages take the bank details, MemStore never sees them.
 */
export async function openPayoutAccount(ctx: AppContext, subject: Subject) {
  authorize(subject, "payouts.manage");
  const stripe = requireStripe(ctx);
  let account = await payoutAccountOf(ctx.db, { orgId: subject.orgId });
  if (!account) {
    const made = await stripe.accounts.create(
      {
        type: "express",
        metadata: { org_id: subject.orgId },
        capabilities: { transfers: { requested: true }, card_payments: { requested: true } },
      },
      { idempotencyKey: `memstore-account-${subject.orgId}` },
    );
    await ctx.db
      .insert(payoutAccounts)
      .values({ orgId: subject.orgId, stripeAccountId: made.id })
      .onConflictDoNothing();
    account = (await payoutAccountOf(ctx.db, { orgId: subject.orgId }))!;
    await recordAudit(ctx.db, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "payouts.account_created",
      objectType: "payout_account",
      objectId: account.stripeAccountId,
      data: {},
    });
  }
  const link = await stripe.accountLinks.create({
    account: account.stripeAccountId,
    type: "account_onboarding",
    refresh_url: `${ctx.config.publicUrl}/sales?payouts=refresh`,
    return_url: `${ctx.config.publicUrl}/sales?payouts=connected`,
  });
  return { onboarding_url: link.url, account: accountView(account) };
}

/** `account.updated`: the payout account as Stripe holds it now (fetched under the event's lock). */
export async function syncPayoutAccount(tx: Tx, account: Stripe.Account | null, id: string): Promise<string> {
  if (!account) return `ignored: unknown account ${id}`;
  const [row] = await tx
    .update(payoutAccounts)
    .set({
      chargesEnabled: account.charges_enabled,
      payoutsEnabled: account.payouts_enabled,
      detailsSubmitted: account.details_submitted,
      updatedAt: new Date(),
    })
    .where(eq(payoutAccounts.stripeAccountId, account.id))
    .returning();
  if (!row) return `ignored: account ${account.id} is no MemStore publisher's`;
  return `payout account ${account.id}: charges ${account.charges_enabled ? "enabled" : "disabled"}, payouts ${account.payouts_enabled ? "enabled" : "disabled"}`;
}

/**
 * What the publisher is paid: its payout account, the platform's fee, and per sale (latest 200)
 * the amount, the fee and the share transferred to its account (a destination charge) or held by
 * the platform (sold before onboarding was done); a refund gives the share back. Balances per
 * currency sum the same in integer cents.
 */
export async function payoutsReport(ctx: AppContext, subject: Subject) {
  authorize(subject, "payouts.read");
  const account = await payoutAccountOf(ctx.db, { orgId: subject.orgId });
  const rows = await latestSales(ctx.db, { sellerOrgId: subject.orgId, limit: 200 });
  const transfers = rows.map((r) => {
    const status: "reversed" | "transferred" | "held" = r.refunded_at
      ? "reversed"
      : r.destination_account
        ? "transferred"
        : "held";
    const amount = exactInteger(r.amount_cents);
    const fee = exactInteger(r.fee_cents);
    return {
      sale_id: r.sale_id,
      listing_id: r.listing_id,
      created_at: new Date(r.created_at).toISOString(),
      currency: r.currency,
      amount_cents: amount,
      fee_cents: fee,
      share_cents: amount - fee,
      destination: r.destination_account,
      status,
    };
  });
  const balances = new Map<
    string,
    {
      currency: string;
      revenue_cents: number;
      fees_cents: number;
      refunded_cents: number;
      transferred_cents: number;
      held_cents: number;
    }
  >();
  for (const t of transfers) {
    const b = balances.get(t.currency) ?? {
      currency: t.currency,
      revenue_cents: 0,
      fees_cents: 0,
      refunded_cents: 0,
      transferred_cents: 0,
      held_cents: 0,
    };
    b.revenue_cents += t.amount_cents;
    if (t.status === "reversed") b.refunded_cents += t.amount_cents;
    else {
      b.fees_cents += t.fee_cents;
      if (t.status === "transferred") b.transferred_cents += t.share_cents;
      else b.held_cents += t.share_cents;
    }
    balances.set(t.currency, b);
  }
  return {
    account: account ? accountView(account) : null,
    platform_fee_bps: ctx.config.PLATFORM_FEE_BPS,
    balances: [...balances.values()],
    transfers,
  };
}

import type { Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { entitlementView } from "./entitlements.ts";
import { exactInteger } from "../payments/sales-report.ts";
import { billedEntitlements, paidPerEntitlement } from "./queries.ts";

/**
 * The subscriber's Billing page: each entitlement (latest 200) with its listing's title and price,
 * its state and renewal date, what was paid for it; and the organisation's spend per currency, in
 * integer cents, refunds left out.
 */
export async function billingOverview(ctx: AppContext, subject: Subject) {
  authorize(subject, "store.read");
  const rows = await billedEntitlements(ctx.db, { orgId: subject.orgId, limit: 200 });
  const paid = await paidPerEntitlement(ctx.db, { buyerOrgId: subject.orgId });
  const spend = new Map<string, number>();
  for (const p of paid) spend.set(p.currency, (spend.get(p.currency) ?? 0) + exactInteger(p.cents));
  return {
    entitlements: authorizedRows(subject, "store.read", rows, (r) => orgOf(r.entitlement)).map((r) => {
      const own = paid.filter((p) => p.entitlement_id === r.entitlement.id);
      return {
        ...entitlementView(r.entitlement),
        listing: { id: r.entitlement.listingId, title: r.title, pricing: r.pricing },
        paid: own.map((p) => ({ currency: p.currency, cents: exactInteger(p.cents) })),
      };
    }),
    spend: [...spend].map(([currency, cents]) => ({ currency, spend_cents: cents })),
  };
}

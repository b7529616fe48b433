import { describeError } from "@memstore/core";
import { entitlements, listings } from "@memstore/db";
import { and, eq, isNull, lte, ne } from "drizzle-orm";
import { deleteUnlessShared } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit } from "../outbox/outbox.ts";
import { endEntitlementEffects } from "./revoke.ts";

/**
 * Entitlements whose `valid_days` ran out become `expired`, with everything ending one does (see
 * endEntitlementEffects). Search already leaves an expired entitlement's chunks out by its date;
 * this makes the state, the suspended installs, the audit rows and the events follow. Returns how
 * many expired.
 */
export async function expireEntitlements(ctx: AppContext, now = new Date()): Promise<number> {
  const due = await ctx.db
    .select({ id: entitlements.id })
    .from(entitlements)
    .where(
      and(
        isNull(entitlements.revokedAt),
        ne(entitlements.state, "expired"),
        lte(entitlements.validUntil, now),
      ),
    )
    .limit(500);
  let expired = 0;
  for (const { id } of due) {
    try {
      const ended = await ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .update(entitlements)
          .set({ state: "expired" })
          .where(
            and(eq(entitlements.id, id), ne(entitlements.state, "expired"), isNull(entitlements.revokedAt)),
          )
          .returning();
        if (!row) return null;
        const [listing] = await tx.select().from(listings).where(eq(listings.id, row.listingId));
        return endEntitlementEffects(tx, row, listing!, {
          actor: "system:expiry",
          reason: "the license's valid_days ended",
          refunded: false,
        });
      });
      if (!ended) continue;
      expired++;
      await relayEventsAfterCommit(ctx, ended.eventIds);
      for (const copy of ended.orgCopies) await deleteUnlessShared(ctx, copy.digest);
    } catch (error) {
      ctx.log(`entitlement expiry: ${id} stays for the next sweep: ${describeError(error)}`);
    }
  }
  return expired;
}

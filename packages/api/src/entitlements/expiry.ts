import { describeError } from "@memstore/core";
import { entitlements } from "@memstore/db";
import { and, eq, isNull, lte, ne } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { afterEntitlementEnded } from "./ending.ts";
import { moveEntitlement } from "./lifecycle.ts";

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
        const [due] = await tx
          .select({ id: entitlements.id })
          .from(entitlements)
          .where(
            and(eq(entitlements.id, id), ne(entitlements.state, "expired"), isNull(entitlements.revokedAt)),
          );
        if (!due) return null;
        const moved = await moveEntitlement(tx, id, {
          cause: "expiry",
          to: "expired",
          actor: "system:expiry",
          reason: "the license's valid_days ended",
        });
        return moved.ended;
      });
      if (!ended) continue;
      expired++;
      await afterEntitlementEnded(ctx, ended);
    } catch (error) {
      ctx.log(`entitlement expiry: ${id} stays for the next sweep: ${describeError(error)}`);
    }
  }
  return expired;
}

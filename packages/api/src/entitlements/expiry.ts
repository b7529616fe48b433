import { describeError } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { afterEntitlementEnded } from "./ending.ts";
import { moveEntitlement } from "./lifecycle.ts";
import { dueForExpiry, entitlementById } from "./queries.ts";

/**
 * Entitlements whose `valid_days` ran out become `expired`, with everything ending one does (see
 * endEntitlementEffects). Search already leaves an expired entitlement's chunks out by its date;
 * this makes the state, the suspended installs, the audit rows and the events follow. Returns how
 * many expired.
 */
export async function expireEntitlements(ctx: AppContext, now = new Date()): Promise<number> {
  const due = await dueForExpiry(ctx.db, { now, limit: 500 });
  let expired = 0;
  for (const { id } of due) {
    try {
      const ended = await ctx.db.transaction(async (tx) => {
        const row = await entitlementById(tx, { id });
        if (!row || row.revokedAt || row.state === "expired") return null;
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

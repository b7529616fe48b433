import { type EntitlementRow, entitlements, type Executor } from "@memstore/db";
import { and, desc, eq, isNull } from "drizzle-orm";

/** The organisation's newest unrevoked entitlement to a listing (the policy judges its dates). */
export async function latestEntitlement(db: Executor, orgId: string, listingId: string) {
  const [row] = await db
    .select()
    .from(entitlements)
    .where(
      and(
        eq(entitlements.orgId, orgId),
        eq(entitlements.listingId, listingId),
        isNull(entitlements.revokedAt),
      ),
    )
    .orderBy(desc(entitlements.createdAt))
    .limit(1);
  return row ?? null;
}

export function entitlementView(e: EntitlementRow) {
  return {
    id: e.id,
    listing_id: e.listingId,
    source: e.source,
    valid_from: e.validFrom.toISOString(),
    valid_until: e.validUntil?.toISOString() ?? null,
    revoked_at: e.revokedAt?.toISOString() ?? null,
  };
}

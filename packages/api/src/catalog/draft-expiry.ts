import { queryRows, sql } from "@memstore/db";
import { recordAudit } from "../audit/record-audit.ts";
import { deleteUnlessShared } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";

/**
 * Payloads uploaded to drafts nobody submits do not stay: once DRAFT_PAYLOAD_TTL_HOURS have passed
 * since the upload, the draft loses its payload (it stays a draft, to be uploaded to again) and the
 * blob is deleted unless another version holds the same bytes. Returns how many drafts lost theirs.
 */
export async function expireAbandonedDrafts(ctx: AppContext, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - ctx.config.DRAFT_PAYLOAD_TTL_HOURS * 3_600_000);
  const expired = await ctx.db.transaction(async (tx) => {
    // The digest each draft held, read before it is cleared.
    const rows = await queryRows<{ id: string; org_id: string; digest: string }>(
      tx,
      sql`with old as (
            select id, org_id, digest from cube_versions
            where status = 'draft' and digest is not null and uploaded_at < ${before}
            for update)
          update cube_versions v set digest = null, size = null, content_type = null, uploaded_at = null
          from old where v.id = old.id
          returning v.id, old.org_id, old.digest`,
    );
    for (const row of rows) {
      await recordAudit(tx, {
        orgId: row.org_id,
        actor: "system:draft-expiry",
        action: "version.payload_expired",
        objectType: "cube_version",
        objectId: row.id,
        data: { uploaded_before: before.toISOString() },
      });
    }
    return rows;
  });
  for (const row of expired) await deleteUnlessShared(ctx, row.digest);
  if (expired.length > 0) ctx.log(`draft expiry: ${expired.length} unsubmitted payload(s) removed`);
  return expired.length;
}

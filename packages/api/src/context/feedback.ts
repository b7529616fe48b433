import { AppError, notFound, type Subject } from "@memstore/core";
import {
  agentContexts,
  type ContextPassage,
  listings,
  queryRows,
  sectionUse,
  sql,
  type Tx,
} from "@memstore/db";
import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { authorize, loadAuthorized } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import type { ContextFeedback } from "./schemas.ts";
import { contextWritten } from "./vault-context.ts";

/**
 * `POST …/context/{context_id}/feedback`: which passages of a context the agent used, and whether it
 * helped. A context takes one answer (`409 feedback_given` after). The passages used count as hits
 * again in the vault's heat (what agents use stays warm), and each installed one adds to its
 * listing's section counts — summed over every buyer, never with a query — which the publisher reads.
 */
export async function recordContextFeedback(
  ctx: AppContext,
  subject: Subject,
  at: { vaultId: string; contextId: string },
  feedback: ContextFeedback,
) {
  authorize(subject, "vault.search", { vaultId: at.vaultId });
  await contextWritten(at.contextId);
  const used = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(agentContexts)
      .where(
        and(
          eq(agentContexts.id, at.contextId),
          eq(agentContexts.vaultId, at.vaultId),
          eq(agentContexts.orgId, subject.orgId),
        ),
      )
      .for("update");
    if (!row) notFound("context");
    if (row.feedbackAt) throw new AppError("feedback_given", "this context has its feedback already");
    const marks = [...new Set(feedback.used)];
    const beyond = marks.find((n) => n > row.passages.length);
    if (beyond !== undefined) {
      throw new AppError(
        "invalid_input",
        `the context has ${row.passages.length} passages; there is no [${beyond}]`,
        {
          field: "used",
        },
      );
    }
    await tx.update(agentContexts).set({ feedbackAt: new Date() }).where(eq(agentContexts.id, row.id));
    const passages = marks.map((n) => row.passages[n - 1]!);
    await countSections(tx, passages, feedback.helpful);
    return passages;
  });
  ctx.heat.note(
    at.vaultId,
    used.map((p) =>
      p.source === "memory"
        ? { source: "memory" as const, id: p.id }
        : { source: "install" as const, id: p.id, install_id: p.install_id, heading: p.section },
    ),
  );
}

/** Adds the installed passages used to their listings' section counts (one statement). */
async function countSections(tx: Tx, passages: readonly ContextPassage[], helpful: boolean | undefined) {
  const counts = new Map<string, { listing: string; section: string; n: number }>();
  for (const p of passages) {
    if (p.source !== "install") continue;
    const key = `${p.listing_id}\u0000${p.section}`;
    counts.set(key, { listing: p.listing_id, section: p.section, n: (counts.get(key)?.n ?? 0) + 1 });
  }
  const rows = [...counts.values()];
  if (rows.length === 0) return;
  const of = (ok: boolean) => rows.map((r) => (helpful === ok ? r.n : 0));
  await tx.execute(sql`insert into section_use (listing_id, section, used, helpful, unhelpful, last_used_at)
    select u.listing_id, u.section, u.used, u.helpful, u.unhelpful, now()
    from unnest(${sql.param(rows.map((r) => r.listing))}::text[], ${sql.param(rows.map((r) => r.section))}::text[],
                ${sql.param(rows.map((r) => r.n))}::bigint[], ${sql.param(of(true))}::bigint[],
                ${sql.param(of(false))}::bigint[]) as u(listing_id, section, used, helpful, unhelpful)
    where exists (select 1 from listings l where l.id = u.listing_id)
    on conflict (listing_id, section) do update set used = section_use.used + excluded.used,
      helpful = section_use.helpful + excluded.helpful, unhelpful = section_use.unhelpful + excluded.unhelpful,
      last_used_at = excluded.last_used_at`);
}

export const sectionUseQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(50) })
  .strict();

/**
 * `GET /api/v1/listings/{listing_id}/sections`: which sections of a listing buyers' agents used, most
 * used first, summed over every buyer (no buyer, no query), for the listing's publisher.
 */
export async function listingSectionUse(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  query: z.infer<typeof sectionUseQuery>,
) {
  const listing = await loadAuthorized(
    subject,
    "cube.read",
    "listing",
    () =>
      ctx.db
        .select({ id: listings.id, orgId: listings.orgId })
        .from(listings)
        .where(and(eq(listings.id, listingId), eq(listings.orgId, subject.orgId))),
    (l) => ({ orgId: l.orgId }),
  );
  const rows = await ctx.db
    .select()
    .from(sectionUse)
    .where(eq(sectionUse.listingId, listing.id))
    .orderBy(desc(sectionUse.used), sectionUse.section)
    .limit(query.limit);
  return {
    listing_id: listing.id,
    items: rows.map((r) => ({
      section: r.section,
      used: Number(r.used),
      helpful: Number(r.helpful),
      unhelpful: Number(r.unhelpful),
      last_used_at: r.lastUsedAt?.toISOString() ?? null,
    })),
  };
}

/** Deletes contexts older than a week: their feedback is no longer taken (a sweep). */
export async function sweepAgentContexts(ctx: AppContext): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    ctx.db,
    sql`with gone as (delete from agent_contexts where created_at < now() - interval '7 days' returning 1)
        select count(*)::int as n from gone`,
  );
  return rows[0]?.n ?? 0;
}

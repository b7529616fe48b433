import { AppError, notFound, type Subject } from "@memstore/core";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { decodeCursor, type PageQuery, toPage } from "../kernel/pagination.ts";
import { holderPage, salesPerDay, sellerListing } from "./queries.ts";

/** A UTC day MemStore could have sold on: from 2000 to 9998 (Postgres has no year 0). */
const day = z.iso
  .date()
  .refine((d) => d >= "2000-01-01" && d <= "9998-12-31", "a day between 2000-01-01 and 9998-12-31");
/** A report's days, UTC, both ends included: the last 30 unless asked, at most 366. */
export const salesQuery = z.object({ from: day.optional(), to: day.optional() }).strict();

const DAY_MS = 86_400_000;

export function reportRange(query: z.infer<typeof salesQuery>): { from: string; to: string } {
  const to = query.to ?? new Date().toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw new AppError("invalid_input", "from must not be after to");
  if (days > 366) throw new AppError("invalid_input", "a report covers at most 366 days");
  return { from, to };
}

/** A sum of cents as Postgres returns it (a bigint's digits): a safe integer, or an error, never a float. */
export const exactInteger = (value: string | number | null): number => {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`a money sum outside the safe integers: ${value}`);
  return n;
};

/**
 * The publisher's sales per listing and UTC day: revenue, the platform's fees and refunds in integer
 * cents (each in its sale's currency), entitlements new, active at the day's end and ended that day,
 * and the agent calls and bytes its holders' installs used.
 */
export async function salesReport(ctx: AppContext, subject: Subject, query: z.infer<typeof salesQuery>) {
  authorize(subject, "listing.write");
  const { from, to } = reportRange(query);
  const rows = await salesPerDay(ctx.db, { orgId: subject.orgId, from, to });
  return {
    from,
    to,
    items: rows.map((r) => ({
      listing_id: r.listing_id,
      day: r.day,
      currency: r.currency,
      revenue_cents: exactInteger(r.revenue_cents),
      fees_cents: exactInteger(r.fees_cents),
      refunded_cents: exactInteger(r.refunded_cents),
      new: r.new,
      active: r.active,
      canceled: r.canceled,
      agent_calls: exactInteger(r.calls),
      bytes_served: exactInteger(r.bytes),
      previews: {
        questions: r.preview_questions,
        answered: r.preview_answered,
        organizations: r.preview_orgs,
      },
    })),
  };
}

/** Who holds one of the publisher's listings: each entitlement with its organisation, state and calls in 30 days. */
export async function listingHolders(ctx: AppContext, subject: Subject, listingId: string, page: PageQuery) {
  authorize(subject, "listing.write");
  // The request's own faults first: a broken cursor is a 400 whatever the listing.
  decodeCursor(page.cursor);
  const listing = await sellerListing(ctx.db, { orgId: subject.orgId, listingId });
  if (!listing) notFound("listing");
  authorize(subject, "listing.write", { orgId: listing.orgId });
  const rows = await holderPage(ctx.db, { sellerOrgId: listing.orgId, listingId: listing.id, page });
  return toPage(
    rows.map((r) => ({
      id: r.id,
      organization: { slug: r.org_slug, name: r.org_name },
      source: r.source,
      state: r.state,
      created_at: r.created_at,
      current_period_end: r.current_period_end,
      revoked_at: r.revoked_at,
      revoked_reason: r.revoked_reason,
      calls_30d: exactInteger(r.calls_30d),
    })),
    page,
  );
}

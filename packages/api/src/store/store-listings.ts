import { AppError, CUBE_TYPES, fuseByReciprocalRank, notFound, type Subject } from "@memstore/core";
import { type CubeRow, type ListingRow, type OrganizationRow, sql } from "@memstore/db";

import semver from "semver";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { decodeCursor, type Page, pageQuery, toPage } from "../kernel/pagination.ts";
import { orTsQuery } from "../search/query.ts";
import { runsOfVersions } from "../pipeline/queries.ts";
import { evaluationSummary, heldView, listingView, runView, yankView } from "../kernel/views.ts";
import { entitlementView } from "../entitlements/entitlements.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { offerView } from "../listings/offers.ts";
import { openOffers } from "../listings/queries.ts";
import {
  listingById,
  listingsByMeaning,
  listingsByWords,
  listingsWithCube,
  liveInstallCounts,
  newestListings,
  readyVersionsNewestFirst,
  readyVersionsOfCubes,
} from "./queries.ts";
import {
  checksOf,
  desensitisationSummary,
  markCostSummary,
  validationSummary,
  withoutSamples,
} from "./version-summaries.ts";

export const storeQuery = pageQuery.extend({
  q: z.string().trim().max(500).optional(),
  type: z.enum(CUBE_TYPES).optional(),
  tag: z.string().trim().min(1).max(64).optional(),
  free: z.enum(["true", "false"]).optional(),
});

const CANDIDATES = 200;

/** The store: published public listings, optionally by hybrid (text + semantic) query and filters. */
export async function searchListings(
  ctx: AppContext,
  subject: Subject,
  query: z.infer<typeof storeQuery>,
): Promise<Page<StoreCard>> {
  authorize(subject, "store.read");
  const filters = sql.join(
    [
      sql`l.status = 'published' and l.visibility = 'public'`,
      query.type ? sql`c.type = ${query.type}` : sql`true`,
      query.tag ? sql`${query.tag} = any(c.tags)` : sql`true`,
      query.free === "true"
        ? sql`l.pricing->>'model' = 'free'`
        : query.free === "false"
          ? sql`l.pricing->>'model' <> 'free'`
          : sql`true`,
    ],
    sql` and `,
  );
  const offset = decodeCursor(query.cursor);
  let ids: string[];
  if (query.q) {
    const tsq = orTsQuery(query.q);
    const [vector] = await ctx.embedder.embed([query.q]);
    const dim = ctx.embedder.dimension;
    const semantic = await listingsByMeaning(ctx.db, { filters, vector: vector!, dim, limit: CANDIDATES });
    const lexical = tsq ? await listingsByWords(ctx.db, { filters, tsQuery: tsq, limit: CANDIDATES }) : [];
    // Semantic neighbours always exist; keep only those that also match a word, unless nothing does.
    const fused = fuseByReciprocalRank(
      [lexical, semantic].map((list) => list.map((r) => ({ key: r.id, item: r.id }))),
    );
    const lexicalIds = new Set(lexical.map((r) => r.id));
    ids = (lexicalIds.size > 0 ? fused.filter((f) => lexicalIds.has(f.key)) : fused).map((f) => f.key);
    ids = ids.slice(offset, offset + query.limit + 1);
  } else {
    const rows = await newestListings(ctx.db, { filters, limit: query.limit + 1, offset });
    ids = rows.map((r) => r.id);
  }
  const cards = await storeCards(ctx, ids);
  return toPage(ids.map((id) => cards.get(id)!).filter(Boolean), query);
}

export type StoreCard = Awaited<ReturnType<typeof storeCards>> extends Map<string, infer C> ? C : never;

/** The store's cards of these listings, by id (what the store, a listing and a publisher's page show). */
export async function storeCards(ctx: AppContext, ids: string[]) {
  const out = new Map<string, ReturnType<typeof card>>();
  if (ids.length === 0) return out;
  const rows = await listingsWithCube(ctx.db, { listingIds: ids });
  const versions = await readyVersionsOfCubes(ctx.db, { cubeIds: rows.map((r) => r.cube.id) });
  const installCounts = await liveInstallCounts(ctx.db, { listingIds: ids });
  const latest = new Map(
    rows.map((r) => [
      r.listing.id,
      versions.filter((v) => v.cubeId === r.cube.id).sort((a, b) => semver.rcompare(a.version, b.version))[0],
    ]),
  );
  const latestIds = [...latest.values()].flatMap((v) => (v ? [v.id] : []));
  const runs = (await runsOfVersions(ctx.db, { versionIds: latestIds })).filter((run) =>
    ["desensitise", "validate"].includes(run.kind),
  );
  for (const r of rows) {
    const v = latest.get(r.listing.id);
    const runOf = (kind: string) => runs.find((run) => run.versionId === v?.id && run.kind === kind);
    out.set(
      r.listing.id,
      card(
        r,
        v ? { ...v, checks: checksOf(v, runOf("desensitise"), runOf("validate")) } : null,
        installCounts.find((c) => c.listingId === r.listing.id)?.n ?? 0,
      ),
    );
  }
  return out;
}

function card(
  r: {
    listing: ListingRow;
    cube: CubeRow;
    org: OrganizationRow;
  },
  latest: { version: string; size: number | null; checks: ReturnType<typeof checksOf> } | null,
  installCount: number,
) {
  return {
    ...listingView(r.listing),
    cube: {
      id: r.cube.id,
      slug: r.cube.slug,
      type: r.cube.type,
      title: r.cube.title,
      description: r.cube.description,
      tags: r.cube.tags,
    },
    publisher: { id: r.org.id, slug: r.org.slug, name: r.org.name },
    latest_version: latest?.version ?? null,
    size: latest?.size ?? null,
    checks: latest?.checks ?? null,
    installs: installCount,
  };
}

/** A published listing (or one of the caller's own) with its versions and their processing summaries. */
export async function getStoreListing(ctx: AppContext, subject: Subject, listingId: string) {
  authorize(subject, "store.read");
  const listing = await loadVisibleListing(ctx, subject, listingId);
  const cards = await storeCards(ctx, [listing.id]);
  const versions = await readyVersionsNewestFirst(ctx.db, { cubeId: listing.cubeId });
  const runs = await runsOfVersions(ctx.db, { versionIds: versions.map((v) => v.id) });
  const entitlement = await latestEntitlement(ctx.db, { orgId: subject.orgId, listingId: listing.id });
  const own = listing.orgId === subject.orgId;
  return {
    ...cards.get(listing.id)!,
    versions: versions
      // A version its evaluation held is its publisher's to release before anyone else sees it.
      .filter((v) => own || v.heldAt === null)
      .sort((a, b) => semver.rcompare(a.version, b.version))
      .map((v) => ({
        version: v.version,
        parent: v.manifest.parent ?? null,
        changelog: v.manifest.changelog ?? null,
        digest: v.digest,
        size: v.size,
        ready_at: v.readyAt?.toISOString() ?? null,
        /** A yanked version's tombstone (when, why, how bad): it stays listed but cannot be installed. */
        yanked: yankView(v),
        held: heldView(v),
        signature: v.signature,
        desensitisation: desensitisationSummary(
          runs.find((r) => r.versionId === v.id && r.kind === "desensitise"),
        ),
        validation: validationSummary(runs.find((r) => r.versionId === v.id && r.kind === "validate")),
        /** Measured on the publisher's questions: the totals, and the version before's on the same. */
        evaluation: evaluationSummary(
          runs.find((r) => r.versionId === v.id && r.kind === "evaluate"),
          own,
        ),
        /** What the listing's fingerprint marks cost an agent in tokens, for this version's text. */
        marks: markCostSummary(
          runs.find((r) => r.versionId === v.id && r.kind === "convert"),
          listing.marks,
        ),
        runs: runs
          .filter((r) => r.versionId === v.id)
          .map(runView)
          .map((r) => (own ? r : withoutSamples(r))),
      })),
    entitled: entitlement ? entitlementView(entitlement) : null,
    /** The caller's organisation publishes it: it manages the listing rather than getting it. */
    own,
    /** Private offers made to the caller's organisation, open now. */
    offers: own
      ? []
      : (await openOffers(ctx.db, { orgId: subject.orgId, listingId: listing.id })).map((o) => offerView(o)),
  };
}

/**
 * A listing the subject may see: its own, a published one the store shows (public or unlisted), or a
 * published one it holds an open private offer on.
 */
export async function loadVisibleListing(ctx: AppContext, subject: Subject, listingId: string) {
  const listing = await listingById(ctx.db, { listingId });
  const visible =
    listing &&
    (listing.orgId === subject.orgId ||
      (listing.status === "published" &&
        ((listing.visibility !== "private" && listing.visibility !== "org") ||
          (await openOffers(ctx.db, { orgId: subject.orgId, listingId: listing.id })).length > 0)));
  if (!listing || !visible) notFound("listing");
  return listing;
}

export function assertPublished(listing: ListingRow) {
  if (listing.status !== "published") throw new AppError("conflict", `the listing is ${listing.status}`);
}

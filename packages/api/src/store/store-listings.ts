import { AppError, notFound, type Subject } from "@memstore/core";
import type { CubeRow, ListingRow, OrganizationRow } from "@memstore/db";

import semver from "semver";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { runsOfVersions } from "../pipeline/queries.ts";
import { evaluationSummary, heldView, listingView, runView, yankView } from "../kernel/views.ts";
import { entitlementView } from "../entitlements/entitlements.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { offerView } from "../listings/offers.ts";
import { openOffers } from "../listings/queries.ts";
import {
  listingById,
  listingsWithCube,
  liveInstallCounts,
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

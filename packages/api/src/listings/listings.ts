import { AppError, newId, type Subject } from "@memstore/core";
import { type CubeRow, listings } from "@memstore/db";
import { eq } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit, writeVersionPublished } from "../outbox/outbox.ts";
import { actorOf, authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { listingView } from "../kernel/views.ts";
import { loadOwnCube, loadOwnListing } from "../catalog/cubes.ts";
import { cubeById, latestReadyVersion, latestSubmission, versionTexts } from "../catalog/queries.ts";
import { createListingInput } from "./schemas.ts";
import { ownListingPage, writeVocabulary } from "./queries.ts";

/** How much of a cube's content goes into the store's search text, so a listing is found by its words. */
const SAMPLE_CHUNKS = 40;
const SAMPLE_CHARS = 20_000;

export async function createListing(
  ctx: AppContext,
  subject: Subject,
  raw: z.input<typeof createListingInput>,
) {
  authorize(subject, "listing.write");
  const input = createListingInput.parse(raw);
  return ctx.db.transaction(async (tx) => {
    const cube = await loadOwnCube(tx, subject, "listing.write", input.cube_id);
    assertTextMarking(cube, input);
    const [listing] = await tx
      .insert(listings)
      .values({
        id: newId("lst"),
        orgId: subject.orgId,
        cubeId: cube.id,
        visibility: input.visibility,
        pricing: input.pricing,
        terms: input.terms,
        canaries: input.canaries,
        ...(input.marks && { marks: input.marks }),
        ...(input.access && { access: input.access }),
        ...(input.preview !== undefined && { preview: input.preview }),
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "listing.created",
      objectType: "listing",
      objectId: listing!.id,
      data: {
        cube_id: cube.id,
        pricing: input.pricing,
        canaries: input.canaries,
        marks: input.marks ?? "light",
        access: input.access ?? "open",
        preview: input.preview ?? true,
      },
    });
    return listingView(listing!);
  });
}

/** Canary facts and mark density shape served text: a binary cube's copies carry their own fingerprints. */
export function assertTextMarking(cube: CubeRow, input: { canaries?: boolean; marks?: string }) {
  if (cube.type === "plaintext") return;
  const what = input.canaries ? "canary facts are" : input.marks ? "fingerprint marks are" : null;
  if (what) {
    throw new AppError(
      "invalid_input",
      `${what} woven into served text; '${cube.slug}' is a ${cube.type} cube, whose copies carry their own fingerprints`,
    );
  }
}

/** Puts a listing in the store: it needs a `ready` version; its search text and embedding are built here. */
export async function publishListing(ctx: AppContext, subject: Subject, listingId: string) {
  const listing = await loadOwnListing(ctx.db, subject, listingId);
  if (listing.status === "retired")
    throw new AppError("conflict", "a retired listing cannot be published again");
  const cube = await cubeById(ctx.db, { cubeId: listing.cubeId });
  const latest = await latestReadyVersion(ctx.db, { cubeId: listing.cubeId });
  if (!latest) {
    await refuseResidualPii(ctx, listing.cubeId);
    throw new AppError("no_ready_version", "the cube has no ready version to publish");
  }
  const found = await storeSearchFields(ctx, cube!, latest.id);
  const published = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(listings)
      .set({ status: "published", publishedAt: listing.publishedAt ?? new Date(), ...found })
      .where(eq(listings.id, listing.id))
      .returning();
    await writeVocabulary(tx, { listingId: listing.id, versionId: latest.id });
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "listing.published",
      objectType: "listing",
      objectId: listing.id,
      data: { version: latest.version },
    });
    const events =
      listing.status === "published" ? [] : await writeVersionPublished(tx, latest.id, listing.id);
    return { view: listingView(updated!), events };
  });
  await relayEventsAfterCommit(ctx, published.events);
  return published.view;
}

/** What the store searches a listing by: the cube's words and a sample of its content, and their embedding. */
export async function storeSearchFields(
  ctx: AppContext,
  cube: { title: string; description: string; tags: string[] },
  versionId: string,
) {
  const sample = await versionTexts(ctx.db, { versionId, limit: SAMPLE_CHUNKS });
  const searchText = [cube.title, cube.description, cube.tags.join(" "), ...sample]
    .join("\n")
    .slice(0, SAMPLE_CHARS);
  const [vector] = await ctx.embedder.embed([`${cube.title}\n${cube.description}\n${cube.tags.join(" ")}`]);
  return { searchText, embedding: Array.from(vector!), embeddingDim: ctx.embedder.dimension };
}

/** The organisation's own listings, newest first, with their cube and how many vaults installed them. */
export async function listOwnListings(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "cube.read");
  const rows = await ownListingPage(ctx.db, { orgId: subject.orgId, page });
  return toPage(
    authorizedRows(subject, "cube.read", rows, (r) => orgOf(r.listing)).map((r) => ({
      ...listingView(r.listing),
      cube: { slug: r.cubeSlug, title: r.cubeTitle, type: r.cubeType },
      installs: r.installs,
    })),
    page,
  );
}

/**
 * The publish gate: when the cube's latest submitted version was rejected because desensitisation
 * left high-risk personal data in it, publishing says so (422 `pii_residual`) with the types found.
 */
async function refuseResidualPii(ctx: AppContext, cubeId: string) {
  const latest = await latestSubmission(ctx.db, { cubeId });
  const report = latest?.report as
    { error?: { code?: string }; blocking_types?: string[] } | null | undefined;
  if (latest?.status === "rejected" && report?.error?.code === "pii_residual") {
    const types = report.blocking_types ?? [];
    throw new AppError(
      "pii_residual",
      `version ${latest.version} still holds high-risk personal data (${types.join(", ")}) that its pii_policy does not keep; fix the policy or the data and submit a new version`,
      { version: latest.version, blocking_types: types },
    );
  }
}

import { AppError, type Subject } from "@memstore/core";
import { cubes, listings } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { repriceSubscriptions, stopRenewals } from "../entitlements/renewals.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { listingView } from "../kernel/views.ts";
import { loadOwnListing } from "../catalog/cubes.ts";
import { cubeById, latestReadyVersion } from "../catalog/queries.ts";
import { writeVocabulary } from "./queries.ts";
import { assertTextMarking, storeSearchFields } from "./listings.ts";
import { updateListingInput } from "./schemas.ts";

/**
 * A publisher edits a listing: its title and description (the cube's, shown on the listing), its
 * price, terms and visibility. A new price applies to new buyers at once; running subscriptions
 * move to it at their next renewal (or, when the listing stops being a subscription, end at their
 * period end). A published listing's store text follows its new words. A retired listing is final.
 */
export async function updateListing(
  ctx: AppContext,
  subject: Subject,
  listingId: string,
  raw: z.input<typeof updateListingInput>,
) {
  authorize(subject, "listing.write");
  const input = updateListingInput.parse(raw);
  const updated = await ctx.db.transaction(async (tx) => {
    const listing = await loadOwnListing(tx, subject, listingId, true);
    if (listing.status === "retired") throw new AppError("conflict", "a retired listing cannot be changed");
    if (input.marks) {
      const cube = await cubeById(tx, { cubeId: listing.cubeId });
      assertTextMarking(cube!, input);
    }
    let words = {};
    if (input.title !== undefined || input.description !== undefined) {
      const [cube] = await tx
        .update(cubes)
        .set({
          ...(input.title !== undefined && { title: input.title }),
          ...(input.description !== undefined && { description: input.description }),
        })
        .where(eq(cubes.id, listing.cubeId))
        .returning();
      const latest = await latestReadyVersion(tx, { cubeId: listing.cubeId });
      if (listing.status !== "draft" && latest) {
        words = await storeSearchFields(ctx, cube!, latest.id);
        await writeVocabulary(tx, { listingId: listing.id, versionId: latest.id });
      }
    }
    const [row] = await tx
      .update(listings)
      .set({
        ...(input.pricing && { pricing: input.pricing }),
        ...(input.terms && { terms: input.terms }),
        ...(input.visibility && { visibility: input.visibility }),
        ...(input.marks && { marks: input.marks }),
        ...(input.access && { access: input.access }),
        ...(input.preview !== undefined && { preview: input.preview }),
        ...words,
      })
      .where(eq(listings.id, listing.id))
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "listing.updated",
      objectType: "listing",
      objectId: listing.id,
      data: {
        changed: Object.keys(input),
        before: {
          pricing: listing.pricing,
          terms: listing.terms,
          marks: listing.marks,
          access: listing.access,
          preview: listing.preview,
        },
      },
    });
    return row!;
  });
  if (input.pricing) {
    if (input.pricing.model === "subscription") await repriceSubscriptions(ctx, updated, input.pricing);
    else await stopRenewals(ctx, updated.id);
  }
  return listingView(updated);
}

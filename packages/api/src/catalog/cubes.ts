import { type Action, AppError, newId, type Subject } from "@memstore/core";
import { cubes, type Executor, listings } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized, orgOf } from "../kernel/authorize.ts";
import { type Page, type PageQuery, toPage } from "../kernel/pagination.ts";
import { cubeView } from "../kernel/views.ts";
import { createCubeInput } from "./schemas.ts";
import { cubeOfOrg, cubePage, cubeWithSlug } from "./queries.ts";

export { createCubeInput };

export async function createCube(ctx: AppContext, subject: Subject, input: z.infer<typeof createCubeInput>) {
  authorize(subject, "cube.write");
  return ctx.db.transaction(async (tx) => {
    const taken = await cubeWithSlug(tx, { orgId: subject.orgId, slug: input.slug });
    if (taken)
      throw new AppError(
        "slug_taken",
        `a cube with slug '${input.slug}' already exists in this organisation`,
      );
    const [cube] = await tx
      .insert(cubes)
      .values({
        id: newId("cube"),
        orgId: subject.orgId,
        slug: input.slug,
        type: input.type,
        title: input.title,
        description: input.description ?? "",
        tags: input.tags ?? [],
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "cube.created",
      objectType: "cube",
      objectId: cube!.id,
      data: { slug: input.slug, type: input.type },
    });
    return cubeView(cube!);
  });
}

export async function listCubes(
  ctx: AppContext,
  subject: Subject,
  page: PageQuery,
): Promise<Page<ReturnType<typeof cubeView>>> {
  authorize(subject, "cube.read");
  const rows = await cubePage(ctx.db, { orgId: subject.orgId, page });
  return toPage(authorizedRows(subject, "cube.read", rows, orgOf).map(cubeView), page);
}

/** The org's cube by id for `action`, else 404 (whether it does not exist or is another tenant's). */
export function loadOwnCube(db: Executor, subject: Subject, action: Action, cubeId: string) {
  return loadAuthorized(
    subject,
    action,
    "cube",
    () => cubeOfOrg(db, { orgId: subject.orgId, cubeId }),
    orgOf,
  );
}

/** One of the subject's own listings, to change (locked for the transaction when `forUpdate`); else 404. */
export function loadOwnListing(db: Executor, subject: Subject, listingId: string, forUpdate = false) {
  return loadAuthorized(
    subject,
    "listing.write",
    "listing",
    () => {
      const query = db
        .select()
        .from(listings)
        .where(and(eq(listings.id, listingId), eq(listings.orgId, subject.orgId)));
      return forUpdate ? query.for("update") : query;
    },
    orgOf,
  );
}

export async function getCube(ctx: AppContext, subject: Subject, cubeId: string) {
  return cubeView(await loadOwnCube(ctx.db, subject, "cube.read", cubeId));
}

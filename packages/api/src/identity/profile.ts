import { notFound, type Subject } from "@memstore/core";
import { organizations } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { organizationById } from "./queries.ts";
import type { profileInput } from "./schemas.ts";

export { profileInput } from "./schemas.ts";

type Profile = { slug: string; name: string; about: string; website: string | null; createdAt: Date };

export const profileView = (o: Profile) => ({
  slug: o.slug,
  name: o.name,
  about: o.about,
  website: o.website,
  joined_at: o.createdAt.toISOString(),
});

/** The organisation's own profile, as its publisher page shows it. */
export async function getProfile(ctx: AppContext, subject: Subject) {
  authorize(subject, "org.profile");
  const org = await organizationById(ctx.db, { orgId: subject.orgId });
  if (!org) notFound("organization");
  return profileView(org);
}

/** Edits the organisation's name, its words about itself and its site (audited). */
export async function updateProfile(ctx: AppContext, subject: Subject, input: z.infer<typeof profileInput>) {
  authorize(subject, "org.profile");
  if (Object.keys(input).length === 0) return getProfile(ctx, subject);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(organizations)
      .set(input)
      .where(eq(organizations.id, subject.orgId))
      .returning();
    if (!row) notFound("organization");
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "org.profile_updated",
      objectType: "organization",
      objectId: subject.orgId,
      data: { fields: Object.keys(input) },
    });
    return profileView(row);
  });
}

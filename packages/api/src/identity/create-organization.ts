import { AppError, newId, SCOPES } from "@memstore/core";
import { memberships, organizations, type Tx, users } from "@memstore/db";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { insertApiKey } from "./api-keys.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { userWithEmail } from "./queries.ts";

export const createOrganizationInput = z.object({
  name: z.string().trim().min(1).max(100),
  ownerEmail: z.email().transform((e) => e.toLowerCase()),
  ownerPassword: z.string().min(8, "password must have at least 8 characters").optional(),
  ownerName: z.string().trim().min(1).max(100).optional(),
});

export type CreatedOrganization = { org_id: string; org_slug: string; user_id: string; api_key: string };

/**
 * Creates an organisation owned by a user (created when new, else verified by password when one
 * is given) and a first API key with every scope.
 */
export async function createOrganization(
  ctx: AppContext,
  raw: z.input<typeof createOrganizationInput>,
): Promise<CreatedOrganization> {
  const created = await createOrganizationWith(ctx, raw, { ownerKey: true });
  return { ...created, api_key: created.api_key! };
}

/** Shared by the CLI/admin path (with an owner key) and portal sign-up (without one). */
export async function createOrganizationWith(
  ctx: AppContext,
  raw: z.input<typeof createOrganizationInput>,
  options: { ownerKey: boolean },
): Promise<Omit<CreatedOrganization, "api_key"> & { api_key: string | null }> {
  const input = createOrganizationInput.parse(raw);
  const existing = await userWithEmail(ctx.db, { email: input.ownerEmail });
  if (
    existing &&
    input.ownerPassword &&
    !(await verifyPassword(input.ownerPassword, existing.passwordHash))
  ) {
    throw new AppError("forbidden", `a user ${input.ownerEmail} exists and the password does not match`);
  }
  const passwordHash = existing ? null : await hashPassword(input.ownerPassword ?? newId("pw", 18));
  return ctx.db.transaction(async (tx) => {
    const userId = existing?.id ?? newId("usr");
    if (!existing)
      await tx.insert(users).values({
        id: userId,
        email: input.ownerEmail,
        name: input.ownerName ?? null,
        passwordHash: passwordHash!,
      });
    const orgId = newId("org");
    const slug = await freeSlug(tx, input.name);
    await tx.insert(organizations).values({ id: orgId, slug, name: input.name });
    await tx.insert(memberships).values({ orgId, userId, role: "owner" });
    const key = options.ownerKey
      ? await insertApiKey(tx, { orgId, name: "owner key", scopes: SCOPES, createdBy: `user:${userId}` })
      : null;
    await recordAudit(tx, {
      orgId,
      actor: `user:${userId}`,
      action: "organization.created",
      objectType: "organization",
      objectId: orgId,
      data: { name: input.name, slug, owner: input.ownerEmail, key_id: key?.id ?? null },
    });
    return { org_id: orgId, org_slug: slug, user_id: userId, api_key: key?.key ?? null };
  });
}

async function freeSlug(tx: Tx, name: string): Promise<string> {
  const base =
    name
      .normalize("NFKD")
      .replace(/\p{Mn}/gu, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "org";
  for (let i = 0; ; i++) {
    const slug = i === 0 ? base : `${base}-${i + 1}`;
    const [taken] = await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.slug, slug));
    if (!taken) return slug;
  }
}

import { AppError, type Role, type Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { verifyPassword } from "./passwords.ts";
import { membershipOfUser, membershipsOfUser, userById, userWithEmail } from "./queries.ts";

export type Membership = { org_id: string; org_slug: string; org_name: string; role: Role };

/** The user whose email and password match, or null. Every miss costs one password hash. */
export async function verifyCredentials(ctx: AppContext, email: string, password: string) {
  const user = await userWithEmail(ctx.db, { email: email.trim().toLowerCase() });
  // Hash even for an unknown email, so timing does not reveal which emails have accounts.
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  return user && ok ? { id: user.id, email: user.email, name: user.name } : null;
}
// Same parameters as real hashes, so an unknown email costs what a wrong password costs.
const DUMMY_HASH = `scrypt$${2 ** 15}$8$1$${"A".repeat(22)}$${"A".repeat(43)}`;

export async function membershipsOf(ctx: AppContext, userId: string): Promise<Membership[]> {
  return membershipsOfUser(ctx.db, { userId });
}

/**
 * The policy subject of a signed-in user acting in one organisation: the requested one when they
 * belong to it, else their first. The role is read on every call, so a changed role applies at once.
 */
export async function userSubject(
  ctx: AppContext,
  userId: string,
  requestedOrgId: string | null,
): Promise<Extract<Subject, { kind: "user" }>> {
  const row = await membershipOfUser(ctx.db, { userId, orgId: requestedOrgId });
  if (!row) {
    if (requestedOrgId) return userSubject(ctx, userId, null);
    throw new AppError("forbidden", "this account belongs to no organisation");
  }
  return { kind: "user", userId, orgId: row.orgId, role: row.role };
}

/** Who is signed in, the organisations they belong to, and the one the portal acts in (`orgId` when theirs). */
export async function accountOf(ctx: AppContext, userId: string, orgId: string | null) {
  const user = await userById(ctx.db, { userId });
  if (!user) throw new AppError("unauthenticated", "sign in again");
  const orgs = await membershipsOf(ctx, userId);
  const active = orgs.length ? await userSubject(ctx, userId, orgId) : null;
  return { user, organizations: orgs, active_org_id: active?.orgId ?? null, role: active?.role ?? null };
}

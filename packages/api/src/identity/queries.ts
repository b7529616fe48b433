import { apiKeys, type Executor, memberships, organizations, users } from "@memstore/db";
import { and, asc, desc, eq } from "drizzle-orm";
import { type PageQuery, readPage } from "../kernel/pagination.ts";

/**
 * Identity's reads, each `fn(db, { orgId, … })`: keys, their validity, members and owners. The
 * services judge each row; these only read (the per-request key lookup stays a prepared statement
 * in api-keys.ts).
 */

/** One page of the organisation's keys, newest first; only those bound to `onlyVaultId` when set. */
export function keyPage(db: Executor, at: { orgId: string; onlyVaultId: string | null; page: PageQuery }) {
  return readPage(
    db
      .select()
      .from(apiKeys)
      .where(
        and(eq(apiKeys.orgId, at.orgId), at.onlyVaultId ? eq(apiKeys.vaultId, at.onlyVaultId) : undefined),
      )
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .$dynamic(),
    at.page,
  );
}

/** One of the organisation's keys, locked for the caller's transaction. */
export function lockedKey(db: Executor, at: { orgId: string; keyId: string }) {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, at.keyId), eq(apiKeys.orgId, at.orgId)))
    .for("update");
}

/** A key's revocation and expiry, by id. */
export async function keyValidity(db: Executor, at: { keyId: string }) {
  const [row] = await db
    .select({ revokedAt: apiKeys.revokedAt, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(eq(apiKeys.id, at.keyId));
  return row ?? null;
}

/** What a member is shown as: the person and their role (with the organisation, for the policy). */
const MEMBER_COLUMNS = {
  orgId: memberships.orgId,
  user_id: users.id,
  email: users.email,
  name: users.name,
  role: memberships.role,
};

/** One page of the organisation's members, in the order they joined. */
export function memberPage(db: Executor, at: { orgId: string; page: PageQuery }) {
  return readPage(
    db
      .select(MEMBER_COLUMNS)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.orgId, at.orgId))
      .orderBy(asc(memberships.createdAt), asc(users.id))
      .$dynamic(),
    at.page,
  );
}

/** One member of the organisation, their membership locked for the caller's transaction. */
export function lockedMember(db: Executor, at: { orgId: string; userId: string }) {
  return db
    .select(MEMBER_COLUMNS)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, at.orgId), eq(memberships.userId, at.userId)))
    .for("update", { of: memberships });
}

/** The organisation's owners, locked until the caller's transaction ends. */
export function lockedOwners(db: Executor, at: { orgId: string }) {
  return db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.orgId, at.orgId), eq(memberships.role, "owner")))
    .for("update");
}

/** An organisation by id (its name and slug go on what it is sold and what it publishes). */
export async function organizationById(db: Executor, at: { orgId: string }) {
  const [org] = await db.select().from(organizations).where(eq(organizations.id, at.orgId));
  return org ?? null;
}

/** An organisation by its slug: the public part a private offer and a publisher's page name it by. */
export async function organizationWithSlug(db: Executor, at: { slug: string }) {
  const [org] = await db
    .select({
      id: organizations.id,
      slug: organizations.slug,
      name: organizations.name,
      about: organizations.about,
      website: organizations.website,
      createdAt: organizations.createdAt,
    })
    .from(organizations)
    .where(eq(organizations.slug, at.slug));
  return org ?? null;
}

/** The account with this email (stored lower-case), if there is one. */
export async function userWithEmail(db: Executor, at: { email: string }) {
  const [user] = await db.select().from(users).where(eq(users.email, at.email));
  return user ?? null;
}

/** An account's id, email and name. */
export async function userById(db: Executor, at: { userId: string }) {
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, at.userId));
  return user ?? null;
}

/** The organisations a user belongs to, with their role in each, in the order they joined. */
export function membershipsOfUser(db: Executor, at: { userId: string }) {
  return db
    .select({
      org_id: organizations.id,
      org_slug: organizations.slug,
      org_name: organizations.name,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, at.userId))
    .orderBy(asc(memberships.createdAt));
}

/** The user's membership of `orgId`, or with null the first organisation they joined. */
export async function membershipOfUser(db: Executor, at: { userId: string; orgId: string | null }) {
  const [row] = await db
    .select({ orgId: memberships.orgId, role: memberships.role })
    .from(memberships)
    .where(
      at.orgId
        ? and(eq(memberships.userId, at.userId), eq(memberships.orgId, at.orgId))
        : eq(memberships.userId, at.userId),
    )
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  return row ?? null;
}

/** A key by id: its organisation, the vault it is bound to, its scopes and state. */
export async function keyById(db: Executor, at: { keyId: string }) {
  const [key] = await db.select().from(apiKeys).where(eq(apiKeys.id, at.keyId));
  return key ?? null;
}

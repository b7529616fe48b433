import { AppError, type Subject } from "@memstore/core";
import { type Executor, memberships } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized, orgOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import type { addMemberInput, changeMemberRoleInput } from "./schemas.ts";
import { lockedMember, lockedOwners, memberPage, userWithEmail } from "./queries.ts";

/** A member as the API shows one, with the membership's organisation for the policy to judge. */

export async function listMembers(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "member.read");
  const rows = await memberPage(ctx.db, { orgId: subject.orgId, page });
  const members = authorizedRows(subject, "member.read", rows, orgOf);
  return toPage(
    members.map(({ orgId: _, ...member }) => member),
    page,
  );
}

/** Adds an existing account to the organisation with a role; owners and admins only. */
export async function addMember(ctx: AppContext, subject: Subject, input: z.infer<typeof addMemberInput>) {
  authorize(subject, "member.manage");
  if (input.role === "owner" && !(subject.kind === "user" && subject.role === "owner")) {
    throw new AppError("forbidden", "only an owner can add another owner");
  }
  const user = await userWithEmail(ctx.db, { email: input.email.toLowerCase() });
  if (!user) throw new AppError("not_found", `no account uses ${input.email}; ask them to sign up first`);
  return ctx.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(memberships)
      .values({ orgId: subject.orgId, userId: user.id, role: input.role })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) throw new AppError("conflict", `${input.email} is already a member`);
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "member.added",
      objectType: "user",
      objectId: user.id,
      data: { email: user.email, role: input.role },
    });
    return { user_id: user.id, email: user.email, name: user.name, role: input.role };
  });
}

/**
 * Changes a member's role (owners and admins; only an owner touches the owner role), keeping at
 * least one owner.
 */
export async function changeMemberRole(
  ctx: AppContext,
  subject: Subject,
  input: z.infer<typeof changeMemberRoleInput>,
) {
  authorize(subject, "member.manage");
  return ctx.db.transaction(async (tx) => {
    const member = await lockMember(tx, subject, input.user_id);
    if ((member.role === "owner" || input.role === "owner") && !isOwner(subject)) {
      throw new AppError("forbidden", "only an owner can give or take the owner role");
    }
    if (member.role === "owner" && input.role !== "owner") await keepAnOwner(tx, subject.orgId);
    await tx
      .update(memberships)
      .set({ role: input.role })
      .where(and(eq(memberships.orgId, subject.orgId), eq(memberships.userId, member.user_id)));
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "member.role_changed",
      objectType: "user",
      objectId: member.user_id,
      data: { email: member.email, from: member.role, to: input.role },
    });
    return { ...member, role: input.role };
  });
}

/** Removes a member from the organisation (their account stays); never the last owner. */
export async function removeMember(ctx: AppContext, subject: Subject, userId: string) {
  authorize(subject, "member.manage");
  await ctx.db.transaction(async (tx) => {
    const member = await lockMember(tx, subject, userId);
    if (member.role === "owner") {
      if (!isOwner(subject)) throw new AppError("forbidden", "only an owner can remove an owner");
      await keepAnOwner(tx, subject.orgId);
    }
    await tx
      .delete(memberships)
      .where(and(eq(memberships.orgId, subject.orgId), eq(memberships.userId, member.user_id)));
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "member.removed",
      objectType: "user",
      objectId: member.user_id,
      data: { email: member.email, role: member.role },
    });
  });
}

const isOwner = (subject: Subject) => subject.kind === "user" && subject.role === "owner";

/** The membership, locked for the change (two owners demoting each other cannot both succeed). */
async function lockMember(tx: Executor, subject: Subject, userId: string) {
  const { orgId: _, ...member } = await loadAuthorized(
    subject,
    "member.manage",
    "member",
    () => lockedMember(tx, { orgId: subject.orgId, userId }),
    orgOf,
  );
  return member;
}

/** Refuses to take away the organisation's last owner; the owners' rows stay locked until commit. */
async function keepAnOwner(tx: Executor, orgId: string) {
  const owners = await lockedOwners(tx, { orgId });
  if (owners.length <= 1) {
    throw new AppError("conflict", "an organisation needs at least one owner; make someone else owner first");
  }
}

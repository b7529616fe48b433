import { AppError, type Subject } from "@memstore/core";
import { memberships, users } from "@memstore/db";
import { asc, eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../context.ts";
import { actorOf, authorize } from "./authorize.ts";
import type { addMemberInput } from "./schemas.ts";

export async function listMembers(ctx: AppContext, subject: Subject) {
  authorize(subject, "member.read", { orgId: subject.orgId });
  return ctx.db
    .select({ user_id: users.id, email: users.email, name: users.name, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, subject.orgId))
    .orderBy(asc(memberships.createdAt));
}

/** Adds an existing account to the organisation with a role; owners and admins only. */
export async function addMember(ctx: AppContext, subject: Subject, input: z.infer<typeof addMemberInput>) {
  authorize(subject, "member.manage", { orgId: subject.orgId });
  if (input.role === "owner" && !(subject.kind === "user" && subject.role === "owner")) {
    throw new AppError("forbidden", "only an owner can add another owner");
  }
  const [user] = await ctx.db.select().from(users).where(eq(users.email, input.email.toLowerCase()));
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

import { idSchema } from "@memstore/core";
import { z } from "zod";
import { authedProcedure, orgProcedure, publicProcedure, router } from "../init.ts";
import {
  accountOf,
  addMember,
  addMemberInput,
  changeMemberRole,
  changeMemberRoleInput,
  createApiKey,
  createApiKeyInput,
  getProfile,
  listApiKeys,
  listMembers,
  removeMember,
  revokeApiKey,
  signUp,
  signUpInput,
  profileInput,
  updateProfile,
} from "@memstore/api/identity";
import { pageQuery } from "@memstore/api";

export const accountRouter = router({
  signUp: publicProcedure.input(signUpInput).mutation(({ ctx, input }) => signUp(ctx.app, input)),
  /** Who is signed in, the organisations they belong to, and the one the portal acts in. */
  me: authedProcedure.query(({ ctx }) => accountOf(ctx.app, ctx.userId, ctx.orgId)),
});

export const keysRouter = router({
  list: orgProcedure.input(pageQuery).query(({ ctx, input }) => listApiKeys(ctx.app, ctx.subject, input)),
  create: orgProcedure
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.app, ctx.subject, input)),
  revoke: orgProcedure
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.app, ctx.subject, input.id)),
});

export const membersRouter = router({
  list: orgProcedure.input(pageQuery).query(({ ctx, input }) => listMembers(ctx.app, ctx.subject, input)),
  add: orgProcedure
    .input(addMemberInput)
    .mutation(({ ctx, input }) => addMember(ctx.app, ctx.subject, input)),
  changeRole: orgProcedure
    .input(changeMemberRoleInput)
    .mutation(({ ctx, input }) => changeMemberRole(ctx.app, ctx.subject, input)),
  remove: orgProcedure
    .input(z.object({ user_id: idSchema }))
    .mutation(({ ctx, input }) => removeMember(ctx.app, ctx.subject, input.user_id)),
});

/** What the organisation's public publisher page says of it. */
export const organizationRouter = router({
  profile: orgProcedure.query(({ ctx }) => getProfile(ctx.app, ctx.subject)),
  updateProfile: orgProcedure
    .input(profileInput)
    .mutation(({ ctx, input }) => updateProfile(ctx.app, ctx.subject, input)),
});

import { AppError } from "@memstore/core";

import type { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { createOrganizationWith } from "./create-organization.ts";
import { userWithEmail } from "./queries.ts";
import type { signUpInput } from "./schemas.ts";

/** Portal sign-up: a new user and their first organisation, owned by them. No API key is made. */
export async function signUp(ctx: AppContext, input: z.infer<typeof signUpInput>) {
  const email = input.email.toLowerCase();
  const existing = await userWithEmail(ctx.db, { email });
  if (existing) throw new AppError("conflict", "an account with this email already exists; sign in instead");
  const created = await createOrganizationWith(
    ctx,
    { name: input.organization, ownerEmail: email, ownerPassword: input.password, ownerName: input.name },
    { ownerKey: false },
  );
  return { user_id: created.user_id, org_id: created.org_id, org_slug: created.org_slug };
}

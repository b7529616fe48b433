import { idSchema, purposeSchema, ROLES, SCOPES } from "@memstore/core";
import { z } from "zod";

/** Inputs of identity procedures, shared by REST, tRPC and the portal's forms. */
export const createApiKeyInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
    vault_id: idSchema.optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    /** What the key's calls are for: a listing whose terms name purposes serves only those calls. */
    purposes: z.array(purposeSchema).max(20).optional(),
  })
  .strict();

/** The sign-up form and the procedure behind it validate with this one schema. */
export const signUpInput = z.object({
  name: z.string().trim().min(1, "enter your name").max(100),
  email: z.email("enter a valid email address").max(320),
  password: z.string().min(8, "use at least 8 characters").max(200),
  organization: z.string().trim().min(1, "name your organisation").max(100),
});
export type SignUpInput = z.infer<typeof signUpInput>;

export const addMemberInput = z.object({
  email: z.email("enter a valid email address").max(320),
  role: z.enum(ROLES),
});

export const changeMemberRoleInput = z.object({
  user_id: idSchema,
  role: z.enum(ROLES),
});

/** A site the publisher page links to: an https address, nothing a browser would run. */
const websiteSchema = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain, error: "an https:// address" })
  .max(200);

/** `PATCH /api/v1/org/profile`: what the organisation's publisher page says of it (each field optional). */
export const profileInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    about: z.string().trim().max(4_000).optional(),
    website: websiteSchema.nullable().optional(),
  })
  .strict();

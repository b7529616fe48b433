import { versionPolicySchema } from "@memstore/core";
import { piiPolicySchema } from "@memstore/privacy/schemas";
import { z } from "zod";

/** Inputs of vault procedures, shared by REST, tRPC and the portal's forms. */
export const createVaultInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    namespace_kind: z.enum(["org", "team", "agent", "user"]).optional(),
    /** Desensitise every memory agents write (with `pii_policy`, or the default policy). */
    desensitise_on_write: z.boolean().optional(),
    pii_policy: piiPolicySchema.optional(),
  })
  .strict();

export const updateVaultInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    desensitise_on_write: z.boolean().optional(),
    // Without the schema's default: a change that leaves the policy out keeps the one set.
    pii_policy: piiPolicySchema.unwrap().optional(),
  })
  .strict();

export const installInput = z
  .object({
    listing_id: z.string().min(1),
    version_policy: versionPolicySchema,
  })
  .strict();

/**
 * The other forms an installed copy can be downloaded in, as `convert` offers them for each type: a
 * pack's weights in f16 or bf16, a snapshot quantised to int8 (plaintext has no payload to download).
 */
export const COPY_VARIANTS = { parametric: ["f16", "bf16"], activation: ["int8"] } as const;
export type CopyVariant = (typeof COPY_VARIANTS)[keyof typeof COPY_VARIANTS][number];

/** `GET …/installs/{install_id}/payload?dtype=`: another form of the copy. */
export const payloadQuery = z.object({
  dtype: z.enum([...COPY_VARIANTS.parametric, ...COPY_VARIANTS.activation]).optional(),
});

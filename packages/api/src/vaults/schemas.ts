import { COPY_VARIANTS, idSchema, semverSchema, versionPolicySchema } from "@memstore/core";
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

const days = z.number().int().min(1).max(36_500);

/** A vault's retention policy: each rule when set; `null` clears the policy (memories' own TTLs still apply). */
export const retentionInput = z
  .object({
    archive_unused_after_days: days.optional(),
    expire_archived_after_days: days.optional(),
    purge_expired_after_days: days.optional(),
    max_memories: z.number().int().min(1).max(100_000_000).optional(),
  })
  .strict();

export const updateVaultInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    retention: retentionInput.nullable().optional(),
    desensitise_on_write: z.boolean().optional(),
    // Without the schema's default: a change that leaves the policy out keeps the one set.
    pii_policy: piiPolicySchema.unwrap().optional(),
  })
  .strict();

export const installInput = z
  .object({
    listing_id: idSchema,
    version_policy: versionPolicySchema,
  })
  .strict();

/**
 * `POST …/installs/{install_id}/upgrade` and `/rollback`: a version named moves the install to it
 * and pins its policy there; none follows the policy (upgrade) or goes back one (rollback).
 */
export const moveInstallInput = z.object({ version: semverSchema.optional() }).strict();

/** `GET …/installs/{install_id}/diff?from=&to=`: the version held and the newest ready one unless named. */
export const installDiffQuery = z
  .object({ from: semverSchema.optional(), to: semverSchema.optional() })
  .strict();

/** `GET …/installs/{install_id}/payload?dtype=`: the copy in another dtype its type offers (see @memstore/core). */
export const copyQuery = z.object({ dtype: z.enum(COPY_VARIANTS).optional() });

/** `POST /api/v1/vaults/{vault_id}/freeze`: why (a legal hold, an audit). */
export const freezeVaultInput = z.object({ reason: z.string().trim().min(1).max(1_000) }).strict();

/** `POST /api/v1/vaults/{vault_id}/unfreeze`: why the hold ends, if one is given. */
export const unfreezeVaultInput = z
  .object({ reason: z.string().trim().min(1).max(1_000).optional() })
  .strict();

import { COPY_VARIANTS, CUBE_TYPES, idSchema, tagSchema, versionPolicySchema } from "@memstore/core";
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
    listing_id: idSchema,
    version_policy: versionPolicySchema,
  })
  .strict();

/** `GET …/installs/{install_id}/payload?dtype=`: the copy in another dtype its type offers (see @memstore/core). */
export const copyQuery = z.object({ dtype: z.enum(COPY_VARIANTS).optional() });

/** What agents send about a vault's memory: search, and their own memories. */
const text = z.string().trim().min(1).max(100_000);

const tags = z.array(z.string().trim().min(1).max(64)).max(64);

const metadata = z.record(z.string().max(200), z.unknown());

export const createMemoryInput = z
  .object({
    text,
    tags: tags.optional(),
    metadata: metadata.optional(),
    ttl_days: z.number().int().positive().max(36_500).optional(),
  })
  .strict();

export const updateMemoryInput = z
  .object({
    text: text.optional(),
    tags: tags.optional(),
    metadata: metadata.optional(),
    ttl_days: z.number().int().positive().max(36_500).optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, "send at least one of text, tags, metadata, ttl_days");

export const listMemoriesQuery = z.object({
  state: z.enum(["activated", "archived", "expired"]).optional(),
});

export type SearchInput = z.infer<typeof searchInput>;

export const searchInput = z
  .object({
    query: z.string().trim().min(1).max(2000),
    top_k: z.number().int().min(1).max(100).default(10),
    filter: z
      .object({
        types: z.array(z.enum(CUBE_TYPES)).min(1).max(CUBE_TYPES.length).optional(),
        tags: z.array(tagSchema).min(1).max(32).optional(),
        cube_ids: z.array(idSchema).min(1).max(100).optional(),
      })
      .strict()
      .default({}),
    mode: z.enum(["hybrid", "vector", "keyword"]).default("hybrid"),
  })
  .strict();

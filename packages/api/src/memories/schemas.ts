import { idSchema, MEMORY_STATES, type MemoryState } from "@memstore/core";
import { z } from "zod";

/** What agents send about a vault's memory: their own memories. */
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

/** `?state=`: a memory state (`activated`, the word before states were named, still reads as `active`). */
export const listMemoriesQuery = z.object({
  state: z
    .enum([...MEMORY_STATES, "activated"])
    .transform((s): MemoryState => (s === "activated" ? "active" : s))
    .optional(),
});

/** `POST /api/v1/vaults/{vault_id}/memories/merge`: 2 to 50 distinct memories, and the merged text if not theirs joined. */
export const mergeMemoriesInput = z
  .object({
    memory_ids: z
      .array(idSchema)
      .min(2)
      .max(50)
      .refine((ids) => new Set(ids).size === ids.length, "each memory once"),
    text: text.optional(),
  })
  .strict();

/** `POST …/memories/{memory_id}/restore`: the version whose text comes back (the current one's when left out). */
export const restoreMemoryInput = z
  .object({ version: z.number().int().min(1).max(1_000_000).optional() })
  .strict();

import { CUBE_TYPES } from "@memstore/core";
import { z } from "zod";

/** Inputs of agent procedures (search, memories), shared by REST, tRPC and the portal. */
const text = z.string().trim().min(1).max(100_000);

const tags = z.array(z.string().trim().min(1).max(64)).max(64);

const metadata = z.record(z.string(), z.unknown());

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

export const searchInput = z
  .object({
    query: z.string().trim().min(1).max(2000),
    top_k: z.number().int().min(1).max(100).default(10),
    filter: z
      .object({
        types: z.array(z.enum(CUBE_TYPES)).min(1).optional(),
        tags: z.array(z.string().min(1)).min(1).optional(),
        cube_ids: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .default({}),
    mode: z.enum(["hybrid", "vector", "keyword"]).default("hybrid"),
  })
  .strict();

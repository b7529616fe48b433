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

export const listMemoriesQuery = z.object({
  state: z.enum(["activated", "archived", "expired"]).optional(),
});

import { CUBE_TYPES, idSchema, tagSchema } from "@memstore/core";
import { z } from "zod";

/** What an agent sends to search a vault, shared by REST, MCP, tRPC and the portal. */
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
    /**
     * The vault as it stood at this instant (RFC 3339): the versions its installs held then and its
     * memories as they read then. Entitlements and purposes are still judged as of now.
     */
    as_of: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) <= Date.now() + 60_000, "an instant that has happened")
      .refine((at) => Date.parse(at) >= Date.UTC(2000, 0, 1), "an instant after 2000-01-01")
      .optional(),
  })
  .strict();

import {
  CUBE_TYPES,
  manifestDraftSchema,
  semverSchema,
  slugSchema,
  tagSchema,
  YANK_SEVERITIES,
} from "@memstore/core";
import { z } from "zod";

/** Inputs of the catalog: a cube and its versions. The REST routes, tRPC and the portal's forms share them. */
export const createCubeInput = z
  .object({
    slug: slugSchema,
    type: z.enum(CUBE_TYPES),
    title: z.string().trim().min(1).max(200),
    description: z.string().max(20_000).optional(),
    tags: z.array(tagSchema).max(32).optional(),
  })
  .strict();

export const createVersionInput = z
  .object({
    version: semverSchema,
    manifest: manifestDraftSchema.optional(),
  })
  .strict();

/** `POST /api/v1/cubes/{cube_id}/versions/{version}/yank`: why, and how bad (`critical` suspends installs left on it). */
export const yankVersionInput = z
  .object({
    reason: z.string().trim().min(1).max(1_000),
    severity: z.enum(YANK_SEVERITIES),
  })
  .strict();

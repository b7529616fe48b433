import type { Subject } from "@memstore/core";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { memoryHeatOf, sectionHeatOf } from "./queries.ts";
import { loadOwnVault } from "./vaults.ts";

/** `GET /api/v1/vaults/{vault_id}/heat?limit=&order=`: how many of each, and which end. */
export const heatQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    order: z.enum(["hottest", "coldest"]).default("hottest"),
  })
  .strict();

/**
 * What the vault's agents use: its active memories and its installs' sections by how often searches
 * returned them (counted in batches, so the last seconds' searches may not show yet). `coldest`
 * lists the never-used first: what retention would archive.
 */
export async function vaultHeat(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  query: z.infer<typeof heatQuery>,
) {
  const vault = await loadOwnVault(ctx.db, subject, "memory.read", vaultId);
  const at = { vaultId: vault.id, order: query.order, limit: query.limit };
  const [memories, sections] = await Promise.all([memoryHeatOf(ctx.db, at), sectionHeatOf(ctx.db, at)]);
  return {
    order: query.order,
    memories: memories.map((m) => ({
      id: m.id,
      access_count: Number(m.access_count),
      last_accessed_at: m.last_accessed_at && new Date(m.last_accessed_at).toISOString(),
    })),
    installs: sections.map((s) => ({
      install_id: s.install_id,
      section: s.section,
      hits: Number(s.hits),
      last_hit_at: s.last_hit_at && new Date(s.last_hit_at).toISOString(),
    })),
  };
}

import { applyRetention } from "@memstore/api/memories";
import { z } from "zod";
import { defineJob } from "../define-job.ts";

/**
 * `retention`: memories' TTLs and vaults' retention policies applied (see applyRetention). The
 * sweep asks for it every quarter hour under that quarter's id, so however many processes ask, it
 * runs once; a retry repeats nothing (each transition picks only rows not yet moved).
 */
export const retention = defineJob({
  queue: "maintenance",
  payload: z.object({ window: z.string().min(1).max(40) }).strict(),
  attempts: 3,
  backoffMs: 30_000,
  processor:
    (ctx) =>
    async ({ window }) => {
      const done = await applyRetention(ctx);
      ctx.log(
        `retention ${window}: ${done.archived} archived, ${done.expired} expired, ${done.purged} purged over ${done.vaults} vaults with a policy`,
      );
    },
});

import { type AppContext, embedVersion } from "@memstore/api";
import type { Processor } from "@memstore/queue";

/** `embed`: embed a version's chunks and mark it ready (see embedVersion). */
export const embed =
  (ctx: AppContext): Processor<"embed"> =>
  async ({ versionId }) => {
    const outcome = await embedVersion(ctx, versionId);
    ctx.log(`embed ${versionId}: ${outcome}`);
  };

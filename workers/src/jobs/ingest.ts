import { type AppContext, ingestVersion } from "@memstore/api";
import type { Processor } from "@memstore/queue";

/** `ingest`: parse and chunk a submitted plaintext version (see ingestVersion). */
export const ingest =
  (ctx: AppContext): Processor<"ingest"> =>
  async ({ versionId }) => {
    const outcome = await ingestVersion(ctx, versionId);
    ctx.log(`ingest ${versionId}: ${outcome}`);
  };

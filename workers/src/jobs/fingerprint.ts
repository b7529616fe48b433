import { type AppContext, fingerprintedCopy } from "@memstore/api";
import { cubeVersions } from "@memstore/db";
import type { Processor } from "@memstore/queue";
import { eq } from "drizzle-orm";

/** Writes an organisation's fingerprinted copy of a binary version as soon as it installs it. */
export const fingerprintJob =
  (ctx: AppContext): Processor<"fingerprint"> =>
  async ({ versionId, orgId }) => {
    const [version] = await ctx.db.select().from(cubeVersions).where(eq(cubeVersions.id, versionId));
    if (version?.status !== "ready" || version.manifest.type === "plaintext") return;
    await fingerprintedCopy(ctx, version, orgId);
  };

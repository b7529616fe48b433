import { type AppContext } from "@memstore/api";
import { userSubject } from "@memstore/api/identity";
import { copyQuery, installedCopy } from "@memstore/api/vaults";
import { AppError } from "@memstore/core";
import { blobResponse } from "../rest/download.ts";
import { problemFrom } from "../rest/problem.ts";
import type { PortalAuth } from "./auth.ts";

/** `/api/portal/vaults/{vault_id}/installs/{install_id}/payload` */
export const PORTAL_PAYLOAD_PATH = /^\/api\/portal\/vaults\/([^/]+)\/installs\/([^/]+)\/payload$/;

/**
 * GET /api/portal/vaults/{vault_id}/installs/{install_id}/payload?dtype= — the vault page's
 * download of an installed LoRA pack or KV snapshot for the signed-in user: the organisation's
 * fingerprinted copy, through the same service and streaming (Range, ETag) as the REST route that
 * agents call with an API key.
 */
export function createPayloadDownload(ctx: AppContext, auth: PortalAuth) {
  return async (request: Request, vaultId: string, installId: string): Promise<Response> => {
    try {
      const { userId, orgId } = await auth.sessionOf(request.headers.get("cookie"));
      if (!userId) throw new AppError("unauthenticated", "sign in to download an installed payload");
      const subject = await userSubject(ctx, userId, orgId);
      const { dtype } = copyQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
      return await blobResponse(
        ctx,
        request,
        await installedCopy(ctx, subject, decodeURIComponent(vaultId), decodeURIComponent(installId), dtype),
      );
    } catch (error) {
      return problemFrom(error, ctx.log);
    }
  };
}

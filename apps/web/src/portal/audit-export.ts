import { type AppContext } from "@memstore/api";
import { AUDIT_CSV_HEADER, auditCsvLine, auditFilter, auditRows } from "@memstore/api/audit";
import { userSubject } from "@memstore/api/identity";
import { AppError } from "@memstore/core";
import { problem, problemFrom } from "../rest/problem.ts";
import type { PortalAuth } from "./auth.ts";

/**
 * GET /api/portal/audit/export?format=csv|jsonl&action=&actor=&object_type=&from=&to= — the audit
 * log screen's download, for the signed-in user's organisation. Rows stream out in batches, so
 * a log of any length costs the same memory.
 */
export function createAuditExport(ctx: AppContext, auth: PortalAuth) {
  return async (request: Request): Promise<Response> => {
    try {
      const { userId, orgId } = await auth.sessionOf(request.headers.get("cookie"));
      if (!userId) throw new AppError("unauthenticated", "sign in to export the audit log");
      const subject = await userSubject(ctx, userId, orgId);
      const params = Object.fromEntries(new URL(request.url).searchParams);
      const format = params.format === "jsonl" ? "jsonl" : params.format === "csv" ? "csv" : null;
      if (!format) return problem("invalid_input", "format must be csv or jsonl");
      const rows = auditRows(ctx, subject, auditFilter.parse(params));
      // Authorisation runs on the first pull: pull it now, so a refusal is a 403, not a broken download.
      const first = await rows.next();
      const encoder = new TextEncoder();
      const line = format === "csv" ? auditCsvLine : (r: object) => `${JSON.stringify(r)}\n`;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          if (format === "csv") controller.enqueue(encoder.encode(AUDIT_CSV_HEADER));
          if (!first.done) controller.enqueue(encoder.encode(line(first.value)));
        },
        async pull(controller) {
          const next = await rows.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(line(next.value)));
        },
        async cancel() {
          await rows.return(undefined);
        },
      });
      const day = new Date().toISOString().slice(0, 10);
      return new Response(body, {
        headers: {
          "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/jsonl",
          "content-disposition": `attachment; filename="memstore-audit-${day}.${format}"`,
        },
      });
    } catch (error) {
      return problemFrom(error, ctx.log);
    }
  };
}

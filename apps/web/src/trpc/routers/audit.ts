import { pageQuery } from "@memstore/api";
import { orgProcedure, router } from "../init.ts";
import { auditFilter, checkAuditChain, listAuditLog } from "@memstore/api/audit";

export const auditRouter = router({
  list: orgProcedure
    .input(auditFilter.extend(pageQuery.shape))
    .query(({ ctx, input: { limit, cursor, ...filter } }) =>
      listAuditLog(ctx.app, ctx.subject, filter, { limit, cursor }),
    ),
  verify: orgProcedure.query(({ ctx }) => checkAuditChain(ctx.app, ctx.subject)),
});

import { pageQuery } from "../pagination.ts";
import { orgProcedure, router } from "../trpc/init.ts";
import { checkAuditChain, listAuditLog } from "./audit-log.ts";
import { auditFilter } from "./schemas.ts";

export const auditRouter = router({
  list: orgProcedure
    .input(auditFilter.extend(pageQuery.shape))
    .query(({ ctx, input: { limit, cursor, ...filter } }) =>
      listAuditLog(ctx.app, ctx.subject, filter, { limit, cursor }),
    ),
  verify: orgProcedure.query(({ ctx }) => checkAuditChain(ctx.app, ctx.subject)),
});

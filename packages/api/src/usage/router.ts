import { z } from "zod";
import { orgProcedure, router } from "../trpc/init.ts";
import { publisherStats, usageReport } from "./usage-report.ts";

const period = z.object({ days: z.number().int().min(1).max(366).default(30) });

export const usageRouter = router({
  report: orgProcedure.input(period).query(({ ctx, input }) => usageReport(ctx.app, ctx.subject, input.days)),
  publisher: orgProcedure
    .input(period)
    .query(({ ctx, input }) => publisherStats(ctx.app, ctx.subject, input.days)),
});

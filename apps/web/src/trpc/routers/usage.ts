import { z } from "zod";
import { orgProcedure, router } from "../init.ts";
import { publisherStats, usageChart } from "@memstore/api/usage";

const period = z.object({ days: z.number().int().min(1).max(366).default(30) });

export const usageRouter = router({
  report: orgProcedure.input(period).query(({ ctx, input }) => usageChart(ctx.app, ctx.subject, input.days)),
  publisher: orgProcedure
    .input(period)
    .query(({ ctx, input }) => publisherStats(ctx.app, ctx.subject, input.days)),
});

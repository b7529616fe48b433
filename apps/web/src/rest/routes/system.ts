import { checkHealth } from "@memstore/api";
import { json, publicRoute } from "../route.ts";

export const systemRoutes = [
  publicRoute({
    method: "GET",
    path: "/api/v1/health",
    summary: "Health of the database, the job queue and the blob store",
    tag: "system",
    status: 200,
    handler: async ({ ctx }) => {
      const health = await checkHealth(ctx);
      return json(health, health.status === "ok" ? 200 : 503);
    },
  }),
];

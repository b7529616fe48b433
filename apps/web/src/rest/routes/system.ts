import { checkHealth } from "@memstore/api";
import { json, route } from "../route.ts";

export const systemRoutes = [
  route({
    method: "GET",
    path: "/api/v1/health",
    summary: "Health of the database, the job queue and the blob store",
    tag: "system",
    handler: async ({ ctx }) => {
      const health = await checkHealth(ctx);
      return json(health, health.status === "ok" ? 200 : 503);
    },
  }),
];

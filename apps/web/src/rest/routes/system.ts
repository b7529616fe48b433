import { checkHealth } from "@memstore/api";
import { OUTAGE_RETRY_AFTER_S } from "@memstore/core";
import { problem } from "../problem.ts";
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
      if (health.status === "ok") return json(health, 200);
      // Degraded is a problem like any other outage's: which part is down, and when to ask again.
      const { db, queue, storage } = health;
      const down = Object.entries({ db, queue, storage }).filter(([, state]) => state !== "ok");
      return problem(
        "dependency_down",
        `unavailable: ${down.map(([part]) => part).join(", ")}`,
        { db, queue, storage },
        { "retry-after": String(OUTAGE_RETRY_AFTER_S) },
      );
    },
  }),
];

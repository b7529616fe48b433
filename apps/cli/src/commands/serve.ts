import { loadConfig, openRuntime } from "@memstore/api";
import { BullMqProducer } from "@memstore/workers";
import { hasPortalBuild, startHttpServer } from "@memstore/web";
import { Command } from "commander";
import { stopOnSignals } from "../signals.ts";
import { UsageError } from "../usage-error.ts";

export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "the web app and API in services mode (DATABASE_URL, REDIS_URL, STORAGE_URL), the portal from `npm run build`",
    )
    .action(async () => {
      const config = loadConfig();
      if (!config.DATABASE_URL || !config.REDIS_URL) {
        throw new UsageError(
          "memstore serve runs in services mode: set DATABASE_URL and REDIS_URL (or use memstore dev)",
        );
      }
      // Production serves the portal's build: no pages compiled on demand, no dev overlays, no
      // dev server's lock, so several processes run side by side. PORTAL=dev is for memstore dev.
      const portal = config.PORTAL ?? "production";
      if (portal === "production" && !hasPortalBuild()) {
        throw new UsageError(
          "memstore serve serves the portal's production build, and there is none yet: run `npm run build` first (or set PORTAL=off to serve the API alone)",
        );
      }
      const ctx = await openRuntime(config, new BullMqProducer(config.REDIS_URL, config.QUEUE_PREFIX));
      const server = await startHttpServer(ctx, {
        port: config.PORT,
        host: config.HOST,
        portal,
      });
      stopOnSignals(async () => {
        await server.close();
        await ctx.close();
      });
      console.log(
        `MemStore listening on ${server.url} (services mode, portal ${portal}, embedder ${ctx.embedder.model})`,
      );
    });
}

import { loadConfig, openRuntime } from "@memstore/api";
import { BullMqProducer } from "@memstore/workers";
import { startHttpServer } from "@memstore/web";
import { Command } from "commander";
import { stopOnSignals } from "../signals.ts";
import { UsageError } from "../usage-error.ts";

export function serveCommand(): Command {
  return new Command("serve")
    .description("the web app and API in services mode (DATABASE_URL, REDIS_URL, STORAGE_URL)")
    .action(async () => {
      const config = loadConfig();
      if (!config.DATABASE_URL || !config.REDIS_URL) {
        throw new UsageError(
          "memstore serve runs in services mode: set DATABASE_URL and REDIS_URL (or use memstore dev)",
        );
      }
      const ctx = await openRuntime(config, new BullMqProducer(config.REDIS_URL, config.QUEUE_PREFIX));
      const server = await startHttpServer(ctx, {
        port: config.PORT,
        host: config.HOST,
        portal: config.PORTAL,
      });
      stopOnSignals(async () => {
        await server.close();
        await ctx.close();
      });
      console.log(`MemStore API listening on ${server.url} (services mode, embedder ${ctx.embedder.model})`);
    });
}

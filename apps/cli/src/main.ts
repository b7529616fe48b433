import { ConfigError } from "@memstore/api";
import { AppError } from "@memstore/core";
import { MemStoreApiError } from "@memstore/sdk";
import { Command } from "commander";
import { adminCommand } from "./commands/admin.ts";
import { devCommand } from "./commands/dev.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { publishCommand } from "./commands/publish.ts";
import { searchCommand } from "./commands/search.ts";
import { serveCommand } from "./commands/serve.ts";
import { workerCommand } from "./commands/worker.ts";

const program = new Command("memstore")
  .description("MemStore: publish, install and pull governed AI memory")
  .showHelpAfterError()
  .addCommand(devCommand())
  .addCommand(migrateCommand())
  .addCommand(serveCommand())
  .addCommand(workerCommand())
  .addCommand(adminCommand())
  .addCommand(publishCommand())
  .addCommand(searchCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Known failures get one plain line; anything else keeps its stack for a bug report.
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof AppError) console.error(`memstore: ${error.message}`);
  else if (error instanceof MemStoreApiError) console.error(`memstore: ${error.message}`);
  else console.error(error);
  process.exit(1);
}

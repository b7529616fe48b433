import { ConfigError } from "@memstore/api";
import { AppError, describeError } from "@memstore/core";
import { MemStoreApiError } from "@memstore/sdk";
import { Command } from "commander";
import { ZodError } from "zod";
import { adminCommand } from "./commands/admin.ts";
import { auditCommand } from "./commands/audit.ts";
import { bundleCommand } from "./commands/bundle.ts";
import { devCommand } from "./commands/dev.ts";
import { importCommand } from "./commands/import.ts";
import { installCommand } from "./commands/install.ts";
import { mcpCommand } from "./commands/mcp.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { publishCommand } from "./commands/publish.ts";
import { listingsCommand, salesCommand } from "./commands/listings.ts";
import { searchCommand } from "./commands/search.ts";
import { contextCommand } from "./commands/context.ts";
import { serveCommand } from "./commands/serve.ts";
import { vaultCommand } from "./commands/vault.ts";
import { workerCommand } from "./commands/worker.ts";
import { UsageError } from "./usage-error.ts";

const program = new Command("memstore")
  .description("MemStore: publish, install and pull governed AI memory")
  .showHelpAfterError()
  .addCommand(devCommand())
  .addCommand(migrateCommand())
  .addCommand(serveCommand())
  .addCommand(workerCommand())
  .addCommand(adminCommand())
  .addCommand(publishCommand())
  .addCommand(searchCommand())
  .addCommand(contextCommand())
  .addCommand(installCommand())
  .addCommand(vaultCommand())
  .addCommand(auditCommand())
  .addCommand(listingsCommand())
  .addCommand(salesCommand())
  .addCommand(bundleCommand())
  .addCommand(mcpCommand())
  .addCommand(importCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(explain(error));
  process.exit(1);
}

/** Known failures get one plain line; anything else keeps its stack for a bug report. */
function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof UsageError || error instanceof AppError || error instanceof MemStoreApiError) {
    return `memstore: ${error.message}`;
  }
  if (error instanceof ZodError) return `memstore: ${describeIssues(error)}`;
  const cause = (error as { cause?: { code?: string; address?: string; port?: number } } | null)?.cause;
  if (error instanceof TypeError && cause?.code === "ECONNREFUSED") {
    return `memstore: cannot reach MemStore at ${cause.address}:${cause.port} (is it running? see --url)`;
  }
  return describeError(error, { stack: true });
}

function describeIssues(error: ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

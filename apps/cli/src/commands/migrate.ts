import { join } from "node:path";
import { loadConfig } from "@memstore/api";
import { openDatabase } from "@memstore/db";
import { Command } from "commander";

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("apply database migrations to DATABASE_URL (else the embedded database)")
    .action(async () => {
      const config = loadConfig();
      const database = await openDatabase(
        config.DATABASE_URL ? { url: config.DATABASE_URL } : { embeddedDir: join(config.dataDir, "db") },
      );
      try {
        await database.migrate();
        console.log(`migrations applied (${database.kind})`);
      } finally {
        await database.close();
      }
    });
}

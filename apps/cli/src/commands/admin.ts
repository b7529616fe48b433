import { createOrganization } from "@memstore/api";
import { Command } from "commander";
import { openCommandRuntime } from "../runtime.ts";

export function adminCommand(): Command {
  const admin = new Command("admin").description(
    "administration on the database (DATABASE_URL, else the embedded one)",
  );
  admin
    .command("create-org")
    .argument("<name>", "the organisation's name")
    .requiredOption("--owner <email>", "the owner's email (the user is created when new)")
    .option("--password <password>", "the owner's password (for a new user; checked for an existing one)")
    .description("create an organisation and print { org_id, user_id, api_key } (the key has every scope)")
    .action(async (name: string, options: { owner: string; password?: string }) => {
      const ctx = await openCommandRuntime({ migrate: true, quiet: true });
      try {
        const created = await createOrganization(ctx, {
          name,
          ownerEmail: options.owner,
          ownerPassword: options.password,
        });
        console.log(JSON.stringify(created));
      } finally {
        await ctx.close();
      }
    });
  return admin;
}

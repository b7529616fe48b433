import type { Install, InstallHistoryEntry } from "@memstore/sdk";
import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";

type Options = { url: string; key: string; version?: string; json?: boolean };

const installLine = (i: Install) =>
  `${i.id}  ${i.cube.publisher}/${i.cube.slug}@${i.version}  policy ${i.version_policy}  ${i.state}`;

const historyLine = (h: InstallHistoryEntry) =>
  `${h.version.padEnd(12)}  ${h.from} → ${h.to ?? "now"}  ${h.moved_by.kind}${h.moved_by.id ? ` ${h.moved_by.id}` : ""}`;

/** `memstore install history|upgrade|rollback <vault_id> <install_id>`: an install's versions, moved from a script. */
export function installCommand(): Command {
  const install = new Command("install").description(
    "an installed listing's versions: its past, upgrade, rollback",
  );
  install
    .command("history")
    .description("the versions the install held, oldest first, and what moved it to each")
    .argument("<vault_id>")
    .argument("<install_id>")
    .option("--json", "print the raw JSON")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (vaultId: string, installId: string, options: Options) => {
      const { items } = await clientFrom(options).installHistory(vaultId, installId);
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      for (const h of items) console.log(historyLine(h));
    });
  for (const move of ["upgrade", "rollback"] as const) {
    install
      .command(move)
      .description(
        move === "upgrade"
          ? "to the newest version the policy allows, or to --version (pinned there)"
          : "back to the version held before, or to --version it held (pinned there)",
      )
      .argument("<vault_id>")
      .argument("<install_id>")
      .option("--version <version>", "the version to move to")
      .option("--json", "print the raw JSON")
      .addOption(urlOption())
      .addOption(keyOption())
      .action(async (vaultId: string, installId: string, options: Options) => {
        const client = clientFrom(options);
        const input = options.version ? { version: options.version } : {};
        const moved =
          move === "upgrade"
            ? await client.upgradeInstall(vaultId, installId, input)
            : await client.rollbackInstall(vaultId, installId, input);
        console.log(options.json ? JSON.stringify(moved, null, 2) : installLine(moved));
      });
  }
  return install;
}

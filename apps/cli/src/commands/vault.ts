import type { Vault } from "@memstore/sdk";
import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";

type Options = { url: string; key: string; reason?: string; json?: boolean };

const vaultLine = (v: Vault) =>
  `${v.id}  ${v.name}  ${v.frozen ? `frozen since ${v.frozen.at} by ${v.frozen.by}: ${v.frozen.reason}` : "takes writes"}`;

/** `memstore vault freeze|unfreeze <vault_id> --reason …`: a legal hold put on and lifted from a script (an admin key). */
export function vaultCommand(): Command {
  const vault = new Command("vault").description("a vault's hold: freeze it (no writes) and unfreeze it");
  vault
    .command("freeze")
    .description(
      "freeze the vault: every write to it is refused until it is unfrozen; search and export go on",
    )
    .argument("<vault_id>")
    .requiredOption("--reason <text>", "why (a legal hold, an audit)")
    .option("--json", "print the raw JSON")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (vaultId: string, options: Options) => {
      const frozen = await clientFrom(options).freezeVault(vaultId, { reason: options.reason! });
      console.log(options.json ? JSON.stringify(frozen, null, 2) : vaultLine(frozen));
    });
  vault
    .command("unfreeze")
    .description("unfreeze the vault: it takes writes again")
    .argument("<vault_id>")
    .option("--reason <text>", "why the hold ends")
    .option("--json", "print the raw JSON")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (vaultId: string, options: Options) => {
      const input = options.reason ? { reason: options.reason } : {};
      const thawed = await clientFrom(options).unfreezeVault(vaultId, input);
      console.log(options.json ? JSON.stringify(thawed, null, 2) : vaultLine(thawed));
    });
  return vault;
}

import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";

export function searchCommand(): Command {
  return new Command("search")
    .description("agent-side hybrid search over a vault, for humans")
    .argument("<vault_id>")
    .argument("<query...>")
    .option("-k, --top-k <n>", "how many results", "5")
    .option("--json", "print the raw JSON response")
    .option(
      "--purpose <purpose>",
      "what the call is for (MemStore-Purpose), for listings licensed to purposes",
    )
    .addOption(urlOption())
    .addOption(keyOption())
    .action(
      async (
        vaultId: string,
        words: string[],
        options: { topK: string; json?: boolean; purpose?: string; url: string; key: string },
      ) => {
        const { results, excluded } = await clientFrom(options).search(vaultId, {
          query: words.join(" "),
          top_k: Number(options.topK),
        });
        if (options.json) {
          console.log(JSON.stringify({ results, excluded }, null, 2));
          return;
        }
        for (const e of excluded ?? []) console.error(exclusionLine(e));
        if (results.length === 0) console.log("no results");
        for (const [i, r] of results.entries()) {
          const from = r.cube ? `${r.cube.publisher}/${r.cube.slug}@${r.cube.version}` : "own memory";
          console.log(`${i + 1}. [${r.score.toFixed(4)}] ${from}`);
          console.log(`   ${r.text.replace(/\s+/g, " ").slice(0, 240)}`);
        }
      },
    );
}

/** Why an answer left an install out, for a person. */
export function exclusionLine(e: { install_id: string; code: "purpose_not_licensed" | "share_cap" }) {
  return e.code === "share_cap"
    ? `install ${e.install_id} cut short: the organisation received its day's share of the listing (share_cap)`
    : `install ${e.install_id} left out: its license does not cover this purpose (purpose_not_licensed)`;
}

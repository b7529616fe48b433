import { Command, InvalidArgumentError } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";
import { exclusionLine } from "./search.ts";

const whole = (low: number, high: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < low || n > high)
    throw new InvalidArgumentError(`a whole number from ${low} to ${high}`);
  return n;
};

/**
 * `memstore context <vault> <query…> --max-tokens N`: the block an agent would paste, on stdout (so
 * `> context.md` keeps just it); its size, sources, fitting modules and exclusions on stderr.
 */
export function contextCommand(): Command {
  return new Command("context")
    .description("the context an agent gets for a query: passages within a token budget, cited")
    .argument("<vault_id>")
    .argument("<query...>")
    .option("-t, --max-tokens <n>", "the block's budget in tokens (50–32000)", whole(50, 32_000), 2000)
    .option("--tokenizer <name>", "o200k_base (GPT-4o) or cl100k_base (GPT-4)", "o200k_base")
    .option("--diversity <x>", "0: most relevant first; toward 1, less alike", "0.3")
    .option("--model <base_model>", "the agent's base model: modules for others are left out")
    .option("--json", "print the raw JSON response")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(
      async (
        vaultId: string,
        words: string[],
        options: {
          maxTokens: number;
          tokenizer: string;
          diversity: string;
          model?: string;
          json?: boolean;
          url: string;
          key: string;
        },
      ) => {
        const got = await clientFrom(options).context(vaultId, {
          query: words.join(" "),
          max_tokens: options.maxTokens,
          tokenizer: options.tokenizer as "o200k_base",
          diversity: Number(options.diversity),
          ...(options.model ? { model: options.model } : {}),
        });
        if (options.json) {
          console.log(JSON.stringify(got, null, 2));
          return;
        }
        console.log(got.context || "(nothing in the vault answers this)");
        console.error(
          `\n${got.tokens} of ${options.maxTokens} tokens (${options.tokenizer}), context ${got.id}`,
        );
        for (const c of got.citations) {
          const from = c.cube
            ? `${c.cube.publisher}/${c.cube.slug}@${c.cube.version}`
            : `memory ${c.memory_id}`;
          console.error(`[${c.n}] ${from}${c.section ? ` — ${c.section}` : ""}`);
        }
        for (const m of got.modules)
          console.error(
            `module: ${m.type} install ${m.install_id} for ${m.base_model} (relevance ${m.relevance})`,
          );
        for (const e of got.excluded) console.error(exclusionLine(e));
      },
    );
}

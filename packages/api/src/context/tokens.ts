import type * as O200k from "gpt-tokenizer/encoding/o200k_base";

/**
 * Token counts as the agent's model will see them, with a real tokenizer (`gpt-tokenizer`): GPT-4o's
 * o200k_base or GPT-4's cl100k_base. Each loads once per process, on first use. Text that spells a
 * special token (`<|endoftext|>`) is counted as the plain text it is.
 */
export const TOKENIZERS = ["o200k_base", "cl100k_base"] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

export type Tokenizer = {
  count(text: string): number;
  /** The first `tokens` tokens of `text`, as text (a character the cut splits is dropped). */
  head(text: string, tokens: number): string;
};

type Encoding = typeof O200k;

const loaders: Record<TokenizerName, () => Promise<Encoding>> = {
  o200k_base: () => import("gpt-tokenizer/encoding/o200k_base"),
  cl100k_base: () => import("gpt-tokenizer/encoding/cl100k_base"),
};
const loaded = new Map<TokenizerName, Promise<Tokenizer>>();
const PLAIN = { disallowedSpecial: new Set<string>() };

export function tokenizer(name: TokenizerName): Promise<Tokenizer> {
  let found = loaded.get(name);
  if (!found) {
    found = loaders[name]().then((e) => ({
      count: (text: string) => e.countTokens(text, PLAIN),
      head: (text: string, tokens: number) =>
        e.decode(e.encode(text, PLAIN).slice(0, Math.max(0, tokens))).replace(/\uFFFD+$/, ""),
    }));
    loaded.set(name, found);
  }
  return found;
}

import type * as O200k from "gpt-tokenizer/encoding/o200k_base";
import { remembered } from "./remembered.ts";

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

/** Passages an agent pulls come back: their counts are kept (the most recent, up to this many). */
const CACHED_COUNTS = 20_000;
/** Shorter texts are counted afresh: cheaper than keeping them. */
const CACHED_MIN_CHARS = 200;

/** A count function that remembers the counts of longer texts. */
function remembering(count: (text: string) => number) {
  const recall = remembered(CACHED_COUNTS, count);
  return (text: string) => (text.length < CACHED_MIN_CHARS ? count(text) : recall(text));
}

export function tokenizer(name: TokenizerName): Promise<Tokenizer> {
  let found = loaded.get(name);
  if (!found) {
    found = loaders[name]().then((e) => ({
      count: remembering((text: string) => e.countTokens(text, PLAIN)),
      head: (text: string, tokens: number) =>
        e.decode(e.encode(text, PLAIN).slice(0, Math.max(0, tokens))).replace(/\uFFFD+$/, ""),
    }));
    loaded.set(name, found);
  }
  return found;
}

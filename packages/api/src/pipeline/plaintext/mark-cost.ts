import { embedFingerprint } from "@memstore/watermark";

/** How many of a version's chunks the token cost is measured on: enough for a steady ratio. */
export const MARK_COST_SAMPLE = 200;

export type MarkCost = {
  tokenizer: "o200k_base";
  /** Chunks measured (the first ones), and their tokens as stored. */
  chunks: number;
  clean_tokens: number;
  /** Tokens served per clean token at each density that marks. */
  light: number;
  dense: number;
};

let encoder: Promise<(text: string) => number[]> | undefined;

/**
 * What a version's fingerprint marks cost the agents it is served to, measured with a real
 * tokenizer (GPT-4o's o200k_base, via `gpt-tokenizer`) on its first chunks: the tokens of the text
 * as served at each density against the text as stored. The listing page shows buyers the figure of
 * the listing's density. The tokenizer loads once per process, on the first plaintext version.
 */
export async function markCost(texts: readonly string[]): Promise<MarkCost | null> {
  const sample = texts.slice(0, MARK_COST_SAMPLE);
  if (sample.length === 0) return null;
  encoder ??= import("gpt-tokenizer/encoding/o200k_base").then((m) => m.encode);
  const encode = await encoder;
  const tokens = (density: "off" | "light" | "dense") =>
    sample.reduce((n, text) => n + encode(embedFingerprint(text, 0, density)).length, 0);
  const clean = tokens("off");
  if (clean === 0) return null;
  const ratio = (density: "light" | "dense") => Number((tokens(density) / clean).toFixed(3));
  return {
    tokenizer: "o200k_base",
    chunks: sample.length,
    clean_tokens: clean,
    light: ratio("light"),
    dense: ratio("dense"),
  };
}

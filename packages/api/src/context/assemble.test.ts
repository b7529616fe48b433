import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MARK_TOKENS, Packer } from "./assemble.ts";
import { PassageChooser } from "./passages.ts";
import { tokenizer, TOKENIZERS } from "./tokens.ts";

/**
 * The packer counts a block as the sum of its pieces (assemble.ts says why that is exact): these
 * check the sum against a count of the whole block, on real prose and on the texts most likely to
 * break it — passages opening or closing in digits, punctuation, spaces, newlines, brackets,
 * marks, emoji and text that spells a special token.
 */

const DOCS = join(process.cwd(), "docs");
const prose = readdirSync(DOCS)
  .filter((f) => f.endsWith(".md"))
  .flatMap((f) => readFileSync(join(DOCS, f), "utf8").split(/\n{2,}/))
  .map((p) => p.trim())
  .filter((p) => p.length > 0);

const EDGES = [
  "42 is the answer",
  "1999 was a year.",
  "(parenthesised) opening",
  "[bracketed] opening and [3] inside",
  "] closing bracket first",
  "## a heading in a passage",
  "# one hash",
  "   leading spaces",
  "\nleading newline",
  "trailing spaces   ",
  "trailing newline\n",
  "trailing newlines\n\n\n",
  "ends in punctuation?!",
  "ends in a slash/",
  "ends with a bracket [",
  "emoji at the end 🚢",
  "🚢 emoji first",
  "tab\tinside\tand at the end\t",
  "café naïve façade",
  "日本語のテキストです。",
  "<|endoftext|> spelled out",
  "'s contraction first",
  "…",
  "-",
  "x",
];

/** A seeded generator, so a failure reproduces. */
function seeded(seed: number) {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

describe("counting a context block by its pieces", () => {
  it("gives every mark [n] up to 999 three tokens, the space going with the text", async () => {
    for (const name of TOKENIZERS) {
      const tokens = await tokenizer(name);
      for (let n = 1; n <= 999; n++) {
        expect(tokens.count(`[${n}]`)).toBe(MARK_TOKENS);
        expect(tokens.count(`[${n}] Harbour`)).toBe(MARK_TOKENS + tokens.count(" Harbour"));
      }
    }
  });

  it("matches a count of the whole block, for any layout of prose and edge cases, in both tokenizers", async () => {
    const next = seeded(7);
    const pool = [...prose, ...EDGES];
    for (const name of TOKENIZERS) {
      const tokens = await tokenizer(name);
      for (let round = 0; round < 300; round++) {
        const n = 1 + Math.floor(next() * 12);
        const candidates = Array.from({ length: n }, (_, i) => ({
          item: i,
          text: pool[Math.floor(next() * pool.length)]!,
          score: next(),
        }));
        const groups = 1 + Math.floor(next() * 3);
        const budget = 20 + Math.floor(next() * 3000);
        const packer = new Packer(new PassageChooser(candidates, next()), tokens, budget, (c) => ({
          item: c.item,
          group: `g${c.item % groups}`,
          heading:
            c.item % groups === 0 ? "Your vault's memories" : `pack-${c.item % groups} 1.0.${c.item} (Pub)`,
          text: c.text,
        }));
        packer.fill();
        const laid = packer.finish();
        expect(laid.tokens).toBe(tokens.count(laid.context));
        expect(laid.tokens).toBeLessThanOrEqual(budget);
      }
    }
  });
});

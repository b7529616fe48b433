/**
 * bench/tokenizers: MemStore's own BPE and WordPiece tokenizers against Hugging Face's maintained
 * JavaScript port (`@huggingface/tokenizers`), in the same process over the same texts and the same
 * `tokenizer.json` files (the test models' own: the tiny decoder's byte-level BPE, the tiny encoder's
 * BERT WordPiece). It prints whether both give the same ids, and milliseconds per 100,000 characters
 * for each with the ratio — the figures behind keeping the hand-written ones (see the README).
 *
 *   npm run bench:tokenizers -- [--rounds 30]
 *
 * Figures print as a table and go to bench/results/tokenizers.{json,svg}.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { BpeTokenizer, WordPieceTokenizer } from "@memstore/inference";
import { tinyDecoderTokenizer, tinyTokenizerJson } from "@memstore/inference/testing";
import { barChartSvg, summarise } from "./stats.ts";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 30;
const docs = new URL("../../docs/", import.meta.url);
/** The docs' own prose and tables, in pieces a few paragraphs long (as chunks are). */
const texts = readdirSync(docs)
  .filter((f) => f.endsWith(".md"))
  .flatMap((f) => readFileSync(new URL(f, docs), "utf8").split(/\n\n(?=[^\n]*\n)/));
const chars = texts.reduce((n, t) => n + t.length, 0);

type Encoder = (text: string) => number[];

function compare(name: string, ours: Encoder, library: Encoder) {
  const same = texts.every((t) => JSON.stringify(ours(t)) === JSON.stringify(library(t)));
  const timing = (encode: Encoder) => {
    const perRound: number[] = [];
    for (let r = 0; r < rounds + 3; r++) {
      const started = performance.now();
      for (const t of texts) encode(t);
      if (r >= 3) perRound.push(((performance.now() - started) / chars) * 100_000);
    }
    return summarise(perRound).p50;
  };
  const oursMs = timing(ours);
  const libraryMs = timing(library);
  return {
    tokenizer: name,
    same_ids: same,
    ours_ms_per_100k_chars: oursMs,
    library_ms_per_100k_chars: libraryMs,
  };
}

const bpeJson = JSON.parse(tinyDecoderTokenizer().toString("utf8")) as ConstructorParameters<
  typeof BpeTokenizer
>[0];
const bpe = new BpeTokenizer(bpeJson);
const bpeLibrary = new Tokenizer(bpeJson as object, {});
const wordPieceJson = tinyTokenizerJson();
const wordPiece = new WordPieceTokenizer(wordPieceJson);
const wordPieceLibrary = new Tokenizer(wordPieceJson, {});
/** The port leaves tokenizer.json's `truncation` to its caller: the first max_length − 1 ids and the last, [SEP]. */
const truncated = (ids: number[], max = wordPieceJson.truncation.max_length) =>
  ids.length <= max ? ids : [...ids.slice(0, max - 1), ids.at(-1)!];

const results = [
  compare(
    "byte-level BPE (tiny decoder)",
    (t) => bpe.encode(t),
    (t) => bpeLibrary.encode(t, { add_special_tokens: false }).ids,
  ),
  compare(
    "WordPiece (tiny BERT)",
    (t) => wordPiece.encode(t).ids,
    (t) => truncated(wordPieceLibrary.encode(t).ids),
  ),
];
console.log(`bench/tokenizers: ${texts.length} texts, ${chars} characters, p50 of ${rounds} rounds`);
console.table(
  results.map((r) => ({
    ...r,
    ours_ms_per_100k_chars: r.ours_ms_per_100k_chars.toFixed(2),
    library_ms_per_100k_chars: r.library_ms_per_100k_chars.toFixed(2),
    library_over_ours: (r.library_ms_per_100k_chars / r.ours_ms_per_100k_chars).toFixed(2),
  })),
);
const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("tokenizers.json", out),
  JSON.stringify({ texts: texts.length, chars, rounds, results }, null, 2),
);
writeFileSync(
  new URL("tokenizers.svg", out),
  barChartSvg(
    "Tokenizing the docs: ms per 100,000 characters (p50)",
    "ms",
    results.map((r) => ({
      label: r.tokenizer,
      bars: {
        "MemStore's": r.ours_ms_per_100k_chars,
        "@huggingface/tokenizers": r.library_ms_per_100k_chars,
      },
    })),
  ),
);

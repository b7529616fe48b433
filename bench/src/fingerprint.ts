/**
 * bench/fingerprint: what the invisible fingerprint marks cost agents, and what they buy, at each
 * density a publisher can choose. For the demo guide's chunks as search serves them: the tokens of the
 * served text against the clean text (o200k_base and cl100k_base, through the `gpt-tokenizer`
 * package's own encoders), and the share of random excerpts of each length that name the right copy
 * among 1,000 candidate copies, as a trace weighs them (the best agreement, with confidence ≥ 0.99).
 *
 *   npm run bench:fingerprint -- [--trials 500]
 *
 * Figures print as a table and go to bench/results/fingerprint.{json,svg}.
 */
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { chunkDocument, MARK_DENSITIES, type MarkDensity } from "@memstore/core";
import { embedFingerprint, matchFingerprint, readFingerprints, stripMarks } from "@memstore/watermark";
import { encode as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { barChartSvg } from "./stats.ts";

const trials = Number(process.argv[process.argv.indexOf("--trials") + 1]) || 500;
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
/** The demo store's texts (the guides' chunks and the runbook's items), and the README's, chunked. */
const CORPORA = {
  demo: [
    ...chunkDocument(read("apps/cli/demo/eu-vat-guide.md")).map((c) => c.text),
    ...chunkDocument(read("apps/cli/demo/customs-checklist.md")).map((c) => c.text),
    ...read("apps/cli/demo/incident-runbook.jsonl")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { text: string }).text),
  ],
  readme: chunkDocument(read("README.md")).map((c) => c.text),
};
const chunks = Object.values(CORPORA).flat();
const LENGTHS = [100, 200, 500, 1000];
const COPIES = 1000;

// A seeded generator: the same codes and excerpts every run.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const codes = Array.from({ length: COPIES }, () => Math.floor(random() * 2 ** 24));
const CODE = codes[0]!;

const tokens = (encode: (t: string) => number[], texts: string[]) =>
  texts.reduce((n, t) => n + encode(t).length, 0);

/** Whether an excerpt names the right copy among all candidates, as a trace would. */
function names(excerpt: string): { top: boolean; confident: boolean } {
  const reading = readFingerprints(excerpt);
  if (!reading.marked) return { top: false, confident: false };
  const right = matchFingerprint(reading, CODE);
  // The right copy must agree more often than every other; a tie names nobody.
  const top = codes.slice(1).every((code) => matchFingerprint(reading, code).agreeing < right.agreeing);
  return { top, confident: top && 1 - Math.min(1, right.chance * COPIES) >= 0.99 };
}

function measure(density: MarkDensity) {
  const serve = (texts: string[]) => texts.map((c) => embedFingerprint(c, CODE, density));
  const overhead = Object.fromEntries(
    Object.entries(CORPORA).flatMap(([corpus, texts]) =>
      Object.entries({ o200k_base: o200k, cl100k_base: cl100k }).map(([name, encode]) => {
        const clean = tokens(encode, texts);
        const marked = tokens(encode, serve(texts));
        return [`${corpus} ${name}`, { clean, served: marked, ratio: Number((marked / clean).toFixed(3)) }];
      }),
    ),
  );
  const trace: Record<string, { top: number; confident: number }> = {};
  for (const [corpus, texts] of Object.entries(CORPORA)) {
    for (const [length, rate] of Object.entries(traceRates(serve(texts).join("\n\n"))))
      trace[`${corpus}, ${length}`] = rate;
  }
  return { tokens: overhead, trace };
}

/** The share of random excerpts of each length, of a served text, that name its copy. */
function traceRates(document: string) {
  // Where each visible character sits in the served text: an excerpt of N visible characters carries
  // the marks between them.
  const visibleAt: number[] = [];
  for (let i = 0; i < document.length; i++) if (stripMarks(document[i]!) !== "") visibleAt.push(i);
  const trace: Record<string, { top: number; confident: number }> = {};
  for (const length of LENGTHS) {
    let top = 0;
    let confident = 0;
    for (let t = 0; t < trials; t++) {
      const start = Math.floor(random() * Math.max(1, visibleAt.length - length));
      const end = visibleAt[Math.min(visibleAt.length - 1, start + length)]!;
      const named = names(document.slice(visibleAt[start], end));
      if (named.top) top++;
      if (named.confident) confident++;
    }
    trace[`${length} chars`] = { top: top / trials, confident: confident / trials };
  }
  return trace;
}

const results = Object.fromEntries(MARK_DENSITIES.map((d) => [d, measure(d)]));
console.log(
  `fingerprint marks over ${chunks.length} demo chunks; an excerpt names its copy when, among ${COPIES} ` +
    `candidate copies, the right one agrees best with confidence ≥ 0.99 (${trials} excerpts per length)`,
);
for (const [density, r] of Object.entries(results)) {
  console.log(`  ${density}`);
  for (const [name, o] of Object.entries(r.tokens))
    console.log(
      `    ${name.padEnd(18)} clean ${String(o.clean).padStart(6)}  served ${String(o.served).padStart(6)}  ×${o.ratio}`,
    );
  for (const [length, rate] of Object.entries(r.trace))
    console.log(
      `    ${length.padEnd(18)} names the copy in ${(rate.confident * 100).toFixed(1).padStart(5)} %` +
        `  (agrees best in ${(rate.top * 100).toFixed(1)} %)`,
    );
}
mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("../results/fingerprint.json", import.meta.url),
  JSON.stringify({ chunks: chunks.length, copies: COPIES, trials, densities: results }, null, 2),
);
writeFileSync(
  new URL("../results/fingerprint.svg", import.meta.url),
  barChartSvg(
    "Fingerprint marks per density: served tokens per clean token, and share of excerpts that name the copy",
    "",
    Object.entries(results).map(([density, r]) => ({
      label: density,
      bars: {
        ...Object.fromEntries(Object.entries(r.tokens).map(([name, o]) => [`tokens ×, ${name}`, o.ratio])),
        ...Object.fromEntries(Object.entries(r.trace).map(([length, rate]) => [length, rate.confident])),
      },
    })),
  ),
);

/**
 * bench/fingerprint: what the invisible fingerprint marks cost agents, and what they buy. For the
 * demo guide's chunks as search serves them, the tokens of the served text against the clean text
 * (o200k_base and cl100k_base, through the `gpt-tokenizer` package's own encoders), and the share
 * of random excerpts of each length whose marks still name the right organisation.
 *
 *   npm run bench:fingerprint -- [--trials 200]
 *
 * The baseline for issue 19's part 6 (density per listing): figures print as a table and go to
 * bench/results/fingerprint.{json,svg}.
 */
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { chunkDocument } from "@memstore/core";
import { embedFingerprint, readFingerprints, stripMarks } from "@memstore/watermark";
import { encode as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { barChartSvg } from "./stats.ts";

const trials = Number(process.argv[process.argv.indexOf("--trials") + 1]) || 200;
const guide = readFileSync(new URL("../../apps/cli/demo/eu-vat-guide.md", import.meta.url), "utf8");
const chunks = chunkDocument(guide).map((c) => c.text);
const CODE = 0x5a3c91;
const served = chunks.map((c) => embedFingerprint(c, CODE));

const tokens = (encode: (t: string) => number[], texts: string[]) =>
  texts.reduce((n, t) => n + encode(t).length, 0);
const overhead = {
  o200k_base: { clean: tokens(o200k, chunks), served: tokens(o200k, served) },
  cl100k_base: { clean: tokens(cl100k, chunks), served: tokens(cl100k, served) },
};

// A seeded generator: the same excerpts every run.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const document = served.join("\n\n");
// Where each visible character sits in the served text: an excerpt of N visible characters carries
// the marks between them.
const visibleAt: number[] = [];
for (let i = 0; i < document.length; i++) if (stripMarks(document[i]!) !== "") visibleAt.push(i);
const traced: Record<string, number> = {};
for (const length of [100, 200, 500, 1000]) {
  let named = 0;
  for (let t = 0; t < trials; t++) {
    const start = Math.floor(random() * Math.max(1, visibleAt.length - length));
    const end = visibleAt[Math.min(visibleAt.length - 1, start + length)]!;
    const reading = readFingerprints(document.slice(visibleAt[start]!, end));
    if (reading.codes[0]?.code === CODE) named++;
  }
  traced[`${length} chars`] = named / trials;
}

const result = {
  chunks: chunks.length,
  tokens: Object.fromEntries(
    Object.entries(overhead).map(([name, o]) => [
      name,
      { ...o, ratio: Number((o.served / o.clean).toFixed(3)) },
    ]),
  ),
  trace_rate: traced,
  trials,
};
console.log(
  `fingerprint marks over ${chunks.length} demo chunks, density: every word end (today's only setting)`,
);
for (const [name, o] of Object.entries(result.tokens))
  console.log(
    `  ${name.padEnd(12)} clean ${String(o.clean).padStart(6)}  served ${String(o.served).padStart(6)}  ×${o.ratio}`,
  );
for (const [length, rate] of Object.entries(traced))
  console.log(
    `  excerpt ${length.padEnd(11)} names the right organisation in ${(rate * 100).toFixed(1)} % of ${trials}`,
  );
mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
writeFileSync(new URL("../results/fingerprint.json", import.meta.url), JSON.stringify(result, null, 2));
writeFileSync(
  new URL("../results/fingerprint.svg", import.meta.url),
  barChartSvg("Served tokens per clean token, and trace rate by excerpt", "ratio", [
    ...Object.entries(result.tokens).map(([name, o]) => ({
      label: name,
      bars: { "tokens served / clean": o.ratio },
    })),
    ...Object.entries(traced).map(([length, rate]) => ({ label: length, bars: { "trace rate": rate } })),
  ]),
);

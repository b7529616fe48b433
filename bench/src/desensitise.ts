/**
 * bench/desensitise: throughput of the desensitise stage on one core.
 *
 *   npm run bench:desensitise -- [--mb 100] [--density 0.12]
 *
 * The corpus is generated (seeded): items of 3–8 sentences, like a cube's JSONL items or Markdown
 * sections; a share `--density` of the sentences carries a personal value (e-mail, phone, card,
 * IBAN, SSN, IP, secret, wallet, date of birth, person, place), the rest is plain prose. Measured:
 * detection alone and detection + the default policy, in MB/s on this single-threaded process
 * (= per core); each recogniser's own cost in ms per MB; and as a baseline in the same process,
 * one pass of a single regular expression over the same items. Then fingerprints: marking texts with a
 * subscriber's code (each search result pays this) and reading codes back (a trace), in MB/s against
 * one plain replace pass over the same texts.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createDetector, Desensitiser, recognizersFor, resolvePolicy } from "@memstore/privacy";
import { embedFingerprint, fingerprintCode, matchFingerprint, readFingerprints } from "@memstore/watermark";
import { barChartSvg } from "./stats.ts";

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const megabytes = Number(args.mb ?? 100);
const density = Number(args.density ?? 0.12);

let seed = 42;
const random = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 4294967296;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
const WORDS = `the harbour master reviewed berth schedule cranes are lowered at force nine rope teams keep
metres apart probe for hidden crevasses before crossing glacier invoices settle within thirty days
supplier delivered parts warehouse inventory counts quarterly audit found discrepancies model
checkpoint training loss converged evaluation shows improvement customers asked about refunds policy
updated shipping delays expected storm season ferry timetable changes weekend maintenance window`.split(
  /\s+/,
);
const PII = [
  () => `Contact ana.lopez${Math.floor(random() * 99)}@example.com for the key.`,
  () => `Call +44 20 7946 ${String(1000 + Math.floor(random() * 8999))} after six.`,
  () => "Card 4111 1111 1111 1111 was charged twice.",
  () => "Pay into GB82 WEST 1234 5698 7654 32 by Friday.",
  () => "Her SSN is 536-22-1234 on the form.",
  () => `Login from 203.0.113.${Math.floor(random() * 255)} was blocked.`,
  () => "Deploy with token ghp_16C7e42F292c6912E7710c838347Ae178B4a today.",
  () => "Send the refund to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT.",
  () => "Patient born on 12 March 1984 was admitted.",
  () => "Dr. Amelia Brandt reviewed the scan in Lisbon.",
];
const sentence = () =>
  random() < density
    ? pick(PII)()
    : `${Array.from({ length: 8 + Math.floor(random() * 12) }, () => pick(WORDS)).join(" ")}.`.replace(
        /^./,
        (c) => c.toUpperCase(),
      );

const items: string[] = [];
let bytes = 0;
while (bytes < megabytes * 1e6) {
  const item = Array.from({ length: 3 + Math.floor(random() * 6) }, sentence).join(" ");
  items.push(item);
  bytes += Buffer.byteLength(item);
}
const mb = bytes / 1e6;
console.log(`bench/desensitise: ${mb.toFixed(1)} MB in ${items.length} items, PII density ${density}`);

function timed(run: () => void): number {
  const t0 = performance.now();
  run();
  return (performance.now() - t0) / 1000;
}

const baseline = timed(() => {
  let n = 0;
  for (const item of items) n += item.match(/\d/g)?.length ?? 0;
  if (n < 0) console.log(n);
});
const detector = createDetector();
let found = 0;
const detectOnly = timed(() => {
  for (const item of items) found += detector.find(item).length;
});
const desensitiser = new Desensitiser({
  detector,
  policy: resolvePolicy({}),
  keys: { hmacSecret: randomBytes(32), encryptionKey: randomBytes(32) },
});
const full = timed(() => {
  for (const [i, item] of items.entries()) desensitiser.apply(item, `item ${i}`);
});
// Each recogniser alone, on a tenth of the items.
const sample = items.filter((_, i) => i % 10 === 0);
const sampleMb = sample.reduce((n, s) => n + Buffer.byteLength(s), 0) / 1e6;
const perRecognizer = recognizersFor().map((r) => ({
  name: r.name,
  ms_per_mb: (timed(() => sample.forEach((s) => r.find(s))) * 1000) / sampleMb,
}));

// Fingerprints, on the way out: marking texts (what every search result costs) and reading them
// (what a trace costs), on the first 20 MB of the same items.
const fpItems: string[] = [];
let fpBytes = 0;
for (const item of items) {
  if (fpBytes >= 20e6) break;
  fpItems.push(item);
  fpBytes += Buffer.byteLength(item);
}
const fpMb = fpBytes / 1e6;
const code = fingerprintCode(randomBytes(32), "org_bench", "ver_bench");
let marked: string[] = [];
const fpBaseline = timed(() => {
  marked = fpItems.map((t) => t.replace(/ /g, " "));
});
const fpEmbed = timed(() => {
  marked = fpItems.map((t) => embedFingerprint(t, code, "dense"));
});
let decodedOk = 0;
const fpRead = timed(() => {
  for (const t of marked) {
    const match = matchFingerprint(readFingerprints(t), code);
    if (match.marks > 0 && match.agreeing === match.marks) decodedOk++;
  }
});
const averageChars = fpItems.reduce((n, t) => n + t.length, 0) / fpItems.length;

const results = {
  date: new Date().toISOString(),
  megabytes: mb,
  items: items.length,
  density,
  findings: found,
  baseline_regex_mb_s: mb / baseline,
  detect_mb_s: mb / detectOnly,
  desensitise_mb_s: mb / full,
  desensitise_vs_baseline: full / baseline,
  fingerprint: {
    megabytes: fpMb,
    texts: fpItems.length,
    average_chars: averageChars,
    baseline_replace_mb_s: fpMb / fpBaseline,
    embed_mb_s: fpMb / fpEmbed,
    read_mb_s: fpMb / fpRead,
    embed_us_per_text: (fpEmbed * 1e6) / fpItems.length,
    read_us_per_text: (fpRead * 1e6) / fpItems.length,
    decoded_share: decodedOk / fpItems.length,
  },
  recognizers: perRecognizer.sort((a, b) => b.ms_per_mb - a.ms_per_mb),
  report: { entities: desensitiser.report().entities, residual_risk: desensitiser.report().residual_risk },
};
console.log(`baseline (one regex pass)   ${results.baseline_regex_mb_s.toFixed(1)} MB/s`);
console.log(
  `detect                      ${results.detect_mb_s.toFixed(1)} MB/s per core (${found} findings)`,
);
console.log(
  `detect + default policy     ${results.desensitise_mb_s.toFixed(1)} MB/s per core (${results.desensitise_vs_baseline.toFixed(1)}× the baseline's time)`,
);
const fp = results.fingerprint;
console.log(
  `\nfingerprints on ${fp.megabytes.toFixed(1)} MB (${fp.texts} texts of ${fp.average_chars.toFixed(0)} chars)`,
);
console.log(`baseline (one replace pass) ${fp.baseline_replace_mb_s.toFixed(1)} MB/s`);
console.log(
  `embed                       ${fp.embed_mb_s.toFixed(1)} MB/s (${fp.embed_us_per_text.toFixed(1)} µs per text)`,
);
console.log(
  `read                        ${fp.read_mb_s.toFixed(1)} MB/s (${fp.read_us_per_text.toFixed(1)} µs per text; ${(fp.decoded_share * 100).toFixed(1)} % with every mark agreeing, dense)`,
);
console.log("\nrecogniser                  ms per MB");
for (const r of results.recognizers) console.log(`${r.name.padEnd(27)} ${r.ms_per_mb.toFixed(1)}`);

const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("desensitise.json", out), JSON.stringify(results, null, 2));
writeFileSync(
  new URL("desensitise.svg", out),
  barChartSvg(
    "Desensitise: cost of each recogniser (ms per MB, one core)",
    "ms/MB",
    results.recognizers.map((r) => ({ label: r.name, bars: { "ms/MB": r.ms_per_mb } })),
  ),
);

/**
 * bench:context — what a context for agents costs and gives, on public text (context-corpus.ts):
 * - assembly latency at 10k and 100k chunks: each question as a plain search (top 10) and as a
 *   context (2,000 tokens), alternately, in one sitting — p50/p95 of each and the difference;
 * - budget exactness: contexts for random budgets from 50 to 8,000 tokens (either tokenizer, any
 *   diversity), each recounted here: how many came out over budget or miscounted;
 * - duplicate removal: a vault holding a pack, its republication (exact copies and lightly edited
 *   ones) and own memories repeating it: the share of passages that repeat one before them, in
 *   search's top 10 against the context;
 * - tokens per answered question (the question's own passage delivered) for top-k results pasted
 *   as they are against contexts of a few budgets.
 *
 *   npm run bench:context -- [--questions 200] [--budgets 10000] [--sizes 10000,100000|none]
 *
 * Figures print as JSON and go to bench/results/context.json; the plot to docs/images/bench/context.svg.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { benchArgs, freshDatabase } from "./bench-db.ts";
import { corpusOf, publicPassages } from "./context-corpus.ts";
import { type Bench, context, contextPassages, questionsOf, search } from "./context-calls.ts";
import { duplicateFigures, holdingVault } from "./context-duplicates.ts";
import { openBenchRuntime, rng } from "./search-corpus.ts";
import { barChartSvg, summarise } from "./stats.ts";

const args = benchArgs();
const QUESTIONS = Number(args.questions ?? 200);
const BUDGETS = Number(args.budgets ?? 10_000);
// `--sizes none` runs the duplicate part alone.
const SIZES = (args.sizes ?? "10000,100000")
  .split(",")
  .filter((n) => /^\d+$/.test(n))
  .map(Number);
const PLAIN = { disallowedSpecial: new Set<string>() };
const round = (x: number) => Math.round(x * 100) / 100;

async function latency(
  b: Bench,
  vaultId: string,
  questions: Array<{ query: string }>,
  warmUp: Array<{ query: string }>,
) {
  const timed = async (work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  // Warm-up on other passages' questions: what a context remembers (counts, word sets) of the
  // measured ones comes only from the measured calls themselves.
  for (const q of warmUp) await context(b, vaultId, q.query, 2000);
  const plain: number[] = [];
  const assembled: number[] = [];
  for (const [i, q] of questions.entries()) {
    const s = () => timed(() => search(b, vaultId, q.query, 10)).then((ms) => plain.push(ms));
    const c = () => timed(() => context(b, vaultId, q.query, 2000)).then((ms) => assembled.push(ms));
    if (i % 2 === 0) await s().then(c);
    else await c().then(s);
  }
  const [searchMs, contextMs] = [summarise(plain), summarise(assembled)];
  return {
    search_top10_ms: searchMs,
    context_2000_tokens_ms: contextMs,
    p95_over_search_ms: round(contextMs.p95 - searchMs.p95),
    p50_over_search_ms: round(contextMs.p50 - searchMs.p50),
  };
}

async function budgetExactness(b: Bench, vaultId: string, questions: Array<{ query: string }>) {
  const next = rng(99).uniform;
  let over = 0;
  let miscounted = 0;
  let empty = 0;
  for (let i = 0; i < BUDGETS; i++) {
    const budget = 50 + Math.floor(next() * 7951);
    const tokenizer = next() < 0.5 ? "o200k_base" : "cl100k_base";
    const q = questions[Math.floor(next() * questions.length)]!;
    const got = await context(b, vaultId, q.query, budget, { tokenizer, diversity: next() });
    const counted = (tokenizer === "o200k_base" ? o200k : cl100k)(got.context, PLAIN);
    if (counted > budget) over++;
    if (counted !== got.tokens) miscounted++;
    if (got.tokens === 0) empty++;
    if ((i + 1) % 500 === 0) process.stderr.write(`\r  budgets: ${i + 1}/${BUDGETS}, ${over} over`);
  }
  process.stderr.write("\n");
  return { contexts: BUDGETS, budgets: "50–8000", over_budget: over, miscounted, empty };
}

async function tokensPerAnswer(
  b: Bench,
  vaultId: string,
  questions: Array<{ query: string; answer: string }>,
) {
  const rows: Record<string, { tokens_per_question: number; answered: number; tokens_per_answered: number }> =
    {};
  const tally = (label: string, tokens: number, answered: number) =>
    (rows[label] = {
      tokens_per_question: Math.round(tokens / questions.length),
      answered,
      tokens_per_answered: Math.round(tokens / Math.max(1, answered)),
    });
  for (const topK of [5, 10]) {
    let tokens = 0;
    let answered = 0;
    for (const q of questions) {
      const { results } = await search(b, vaultId, q.query, topK);
      tokens += o200k(results.map((r) => r.text).join("\n\n"), PLAIN);
      if (results.some((r) => r.id === q.answer)) answered++;
    }
    tally(`search top ${topK}, pasted as it is`, tokens, answered);
  }
  for (const budget of [500, 1000, 2000]) {
    let tokens = 0;
    let answered = 0;
    for (const q of questions) {
      const got = await context(b, vaultId, q.query, budget);
      tokens += got.tokens;
      if ((await contextPassages(b.ctx, got.id)).includes(q.answer)) answered++;
    }
    tally(`context, ${budget} tokens`, tokens, answered);
  }
  return rows;
}

async function main() {
  const url = await freshDatabase("memstore_bench_context");
  const { ctx, runner, runtime } = await openBenchRuntime(url, [], []);
  try {
    const person = async (name: string) =>
      authenticateApiKey(
        ctx,
        (await createOrganization(ctx, { name, ownerEmail: `${name}@bench.example.com` })).api_key,
      );
    const b: Bench = { ctx, owner: await person("publisher"), buyer: await person("buyer"), runner };
    const passages = publicPassages();
    process.stderr.write(`public text: ${passages.length} passages\n`);
    const figures: Record<string, unknown> = { public_passages: passages.length };
    const charts: Array<{ label: string; bars: Record<string, number> }> = [];
    for (const size of SIZES) {
      const corpus = corpusOf(passages, size);
      const { vaultId, ids } = await holdingVault(b, `pack-${size}`, corpus);
      const questions = questionsOf(corpus, ids, QUESTIONS);
      const others = questionsOf(corpus, ids, QUESTIONS * 2).filter((_, j) => j % 2 === 1);
      const measured = await latency(b, vaultId, questions, others.slice(0, 20));
      figures[`latency_${size}`] = measured;
      charts.push({
        label: `${size / 1000}k chunks`,
        bars: {
          "search p50": measured.search_top10_ms.p50,
          "search p95": measured.search_top10_ms.p95,
          "context p50": measured.context_2000_tokens_ms.p50,
          "context p95": measured.context_2000_tokens_ms.p95,
        },
      });
      if (size === 10_000) {
        figures.tokens_per_answered_question = await tokensPerAnswer(b, vaultId, questions);
        figures.budget_exactness = await budgetExactness(b, vaultId, questions);
      }
    }
    figures.duplicates = await duplicateFigures(b, passages);
    console.log(JSON.stringify(figures, null, 2));
    mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
    writeFileSync(new URL("../results/context.json", import.meta.url), JSON.stringify(figures, null, 2));
    if (charts.length > 0)
      writeFileSync(
        new URL("../../docs/images/bench/context.svg", import.meta.url),
        barChartSvg("A context (2,000 tokens) against a search (top 10)", "ms", charts),
      );
  } finally {
    await runtime.close();
  }
}

await main();

/**
 * bench:store — what the store's trust costs, on the tests' Postgres:
 * - the `evaluate` stage: 100 questions against versions of 1,000 and 10,000 chunks (each question
 *   a hybrid search over the version alone, every chunk scanned exactly), and the same with a
 *   version before it asked the same questions (the stage asks both).
 * - a buyer's preview (try before you buy): one question per call against a 10,000-chunk listing,
 *   100 calls from 5 organisations (each may ask 20 a day): latency p50/p95.
 * - a share cap (`terms.max_share_per_day`) on a 100,000-chunk listing: an exfiltration attempt of
 *   10,000 distinct searches (top 10 each) against a cap of 10 % (10,000 chunks), which must end at
 *   the cap, and the cap's cost on a search's p50 with its window full, against the same search
 *   uncapped, in alternating blocks of one sitting.
 * - the store's search over 10,000 listings: queries that find some, queries nothing answers, and
 *   a found query sorted by installs (bench/src/store-search.ts).
 * `--questions 100 --runs 3` are the defaults; `--only evaluate|preview|share|search` runs one part.
 */
import { writeFileSync } from "node:fs";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { runPipelineStage } from "@memstore/api/pipeline-stages";
import { createListing, publishListing } from "@memstore/api/listings";
import { tryListing } from "@memstore/api/store";
import type { AppContext } from "@memstore/api";
import { type Subject } from "@memstore/core";
import { cubeVersions, sql, versionEvals } from "@memstore/db";
import { benchArgs, freshDatabase } from "./bench-db.ts";
import { insertCorpusVersion, loadChunks, openBenchRuntime, vectorSource, WORDS } from "./search-corpus.ts";
import { barChartSvg, summarise } from "./stats.ts";
import { shareCapFigures, shareQueries } from "./share-cap.ts";
import { storeSearchFigures } from "./store-search.ts";

const args = benchArgs();
const QUESTIONS = Number(args.questions ?? 100);
const RUNS = Number(args.runs ?? 3);
const SIZES = [1_000, 10_000];

const round = (x: number) => Math.round(x * 100) / 100;

/** Questions about the corpus's chunks ("chunk 17 gamma …"), each expecting its chunk's words. */
function questionsFor(chunks: number) {
  return Array.from({ length: QUESTIONS }, (_, i) => {
    const n = Math.floor((i * chunks) / QUESTIONS);
    return {
      question: `which chunk says ${WORDS[n % WORDS.length]} ${WORDS[(n * 7) % WORDS.length]}, number ${n}?`,
      expect: { contains: `chunk ${n} ` },
    };
  });
}

/** A plaintext cube with 1.0.0 (and 1.1.0, when `withPrevious`) of `chunks` embedded chunks; 1.1.0 or 1.0.0 to evaluate. */
async function corpus(ctx: AppContext, owner: Subject, chunks: number, withPrevious: boolean) {
  const slug = `eval-${chunks}-${withPrevious ? "2" : "1"}`;
  const cubeId = `cube_${slug}`;
  const first = `ver_${slug}_1`;
  await insertCorpusVersion(ctx, { cubeId, versionId: first, orgId: owner.orgId, slug, title: slug, chunks });
  await loadChunks(ctx, "incremental", cubeId, first, vectorSource("latent")(chunks, 3));
  // The loader names chunks chk_0…; each corpus here gets its own names.
  await ctx.db.execute(sql`update chunks set id = ${first} || '_' || id where version_id = ${first}`);
  if (!withPrevious) return first;
  const second = `ver_${slug}_2`;
  const [row] = await ctx.db
    .select()
    .from(cubeVersions)
    .where(sql`id = ${first}`);
  await ctx.db.insert(cubeVersions).values({ ...row!, id: second, version: "1.1.0", createdAt: new Date() });
  await ctx.db.execute(sql`
    insert into chunks (id, version_id, cube_id, position, text, embedding, embedding_dim)
    select id || '_2', ${second}, cube_id, position, text, embedding, embedding_dim
    from chunks where version_id = ${first}`);
  return second;
}

/** The stage run as the pipeline runs it, `RUNS` times: wall time of each. */
async function evaluateCost(
  ctx: AppContext,
  versionId: string,
  chunks: number,
  runner: { idle(): Promise<void> },
) {
  await ctx.db
    .insert(versionEvals)
    .values({ versionId, questions: questionsFor(chunks), maxRecallDrop: null });
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await ctx.db
      .update(cubeVersions)
      .set({ status: "processing" })
      .where(sql`id = ${versionId}`);
    const start = performance.now();
    await runPipelineStage(ctx, versionId, "evaluate");
    samples.push(performance.now() - start);
    // The stage hands the version to `sign`: let it finish before the next run.
    await runner.idle();
  }
  return summarise(samples);
}

/** 100 previews of one question each, from 5 organisations, against the cube's listing. */
async function previewLatency(ctx: AppContext, owner: Subject, cubeId: string) {
  const listing = await createListing(ctx, owner, {
    cube_id: cubeId,
    visibility: "public",
    pricing: { model: "free" },
  });
  await publishListing(ctx, owner, listing.id);
  const samples: number[] = [];
  for (let o = 0; o < 5; o++) {
    const made = await createOrganization(ctx, {
      name: `Buyer ${o}`,
      ownerEmail: `buyer${o}@bench.example.com`,
    });
    const buyer = await authenticateApiKey(ctx, made.api_key);
    for (let i = 0; i < 20; i++) {
      const n = o * 20 + i;
      const start = performance.now();
      await tryListing(ctx, buyer, listing.id, {
        questions: [`which chunk says ${WORDS[n % WORDS.length]} ${WORDS[(n * 3) % WORDS.length]}?`],
      });
      samples.push(performance.now() - start);
    }
  }
  return summarise(samples);
}

type Part = "evaluate" | "preview" | "share" | "search";
const ONLY = args.only as Part | undefined;
const runs = (part: Part) => !ONLY || ONLY === part;

/** The evaluate stage at each size, alone and with a version before it. */
async function evaluateFigures(ctx: AppContext, owner: Subject, runner: { idle(): Promise<void> }) {
  const evaluate: Record<string, ReturnType<typeof summarise>> = {};
  for (const chunks of SIZES) {
    for (const withPrevious of [false, true]) {
      const label = `${chunks / 1000}k chunks${withPrevious ? ", with the version before" : ""}`;
      process.stderr.write(`evaluate: ${QUESTIONS} questions, ${label}\n`);
      const versionId = await corpus(ctx, owner, chunks, withPrevious);
      evaluate[label] = await evaluateCost(ctx, versionId, chunks, runner);
    }
  }
  writeFileSync(
    "docs/images/bench/store.svg",
    barChartSvg(
      `The evaluate stage: ${QUESTIONS} questions (ms)`,
      "ms",
      Object.entries(evaluate).map(([label, s]) => ({ label, bars: { p50: s.p50, p95: s.p95 } })),
    ),
  );
  return {
    questions: QUESTIONS,
    evaluate_ms: evaluate,
    evaluate_s_per_1000_chunks_100_questions: round(((evaluate["1k chunks"]!.p50 / 1000) * 100) / QUESTIONS),
    ms_per_question: Object.fromEntries(
      Object.entries(evaluate).map(([label, s]) => [label, round(s.p50 / QUESTIONS)]),
    ),
  };
}

async function main() {
  const url = await freshDatabase("memstore_bench_store");
  const share = shareQueries();
  const { ctx, runner, runtime } = await openBenchRuntime(url, share.texts, share.vectors);
  try {
    const made = await createOrganization(ctx, { name: "Bench", ownerEmail: "bench@bench.example.com" });
    const owner = await authenticateApiKey(ctx, made.api_key);
    const figures: Record<string, unknown> = {};
    if (runs("evaluate")) Object.assign(figures, await evaluateFigures(ctx, owner, runner));
    if (runs("preview")) {
      process.stderr.write("preview: 100 one-question tries of a 10k-chunk listing\n");
      if (!runs("evaluate")) await corpus(ctx, owner, 10_000, false);
      figures.preview_ms = await previewLatency(ctx, owner, "cube_eval-10000-1");
    }
    if (runs("share")) figures.share_cap = await shareCapFigures(ctx, owner, share.texts, runner);
    if (runs("search")) figures.store_search = await storeSearchFigures(ctx, owner);
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await runtime.close();
  }
}

await main();

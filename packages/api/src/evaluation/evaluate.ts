import {
  answers,
  type EvalQuestion,
  MRR_AT,
  recallDrop,
  type RetrievalFigures,
  retrievalFigures,
} from "@memstore/core";
import { cubeVersions, type VersionRow } from "@memstore/db";
import { eq } from "drizzle-orm";
import semver from "semver";
import { readyVersions } from "../catalog/queries.ts";
import type { AppContext } from "../kernel/context.ts";
import { searchVersion } from "../search/search-version.ts";
import { evalSetsOf } from "./queries.ts";
import type { Report } from "../pipeline/stage-runner.ts";

type Answered = { question: string; rank: number | null; section: string | null };

/**
 * The `evaluate` stage of a plaintext version: the publisher's questions (its own set, or else the
 * set of the newest earlier version that has one) answered by the platform's search over this
 * version alone, and over the version before on the same questions, so the change is measured and
 * not guessed. Recall@5, MRR@10 and the questions answered go in the run's report, with each
 * question's rank for the publisher. A version whose recall@5 fell by more than the set allows is
 * held: ready once signed, but announced and offered to no one until the publisher releases it.
 */
export async function evaluateVersion(ctx: AppContext, version: VersionRow): Promise<Report> {
  const earlier = (await readyVersions(ctx.db, { cubeId: version.cubeId }))
    .filter((v) => v.yankedAt === null && semver.lt(v.version, version.version))
    .sort((a, b) => semver.rcompare(a.version, b.version));
  const sets = await evalSetsOf(ctx.db, { versionIds: [version.id, ...earlier.map((v) => v.id)] });
  const source = [version, ...earlier].find((v) => sets.has(v.id));
  if (!source) return { skipped: "no evaluation set: attach one with PUT …/versions/{version}/eval" };
  const set = sets.get(source.id)!;
  const mine = await answerAll(ctx, version, set.questions);
  const figures = retrievalFigures(mine.map((a) => a.rank));
  const before = earlier[0];
  const previous = before
    ? {
        version: before.version,
        ...retrievalFigures((await answerAll(ctx, before, set.questions)).map((a) => a.rank)),
      }
    : null;
  const drop = previous ? recallDrop(previous, figures) : null;
  const held = set.maxRecallDrop !== null && drop !== null && drop > set.maxRecallDrop;
  if (held) await hold(ctx, version, previous!, figures, set.maxRecallDrop!);
  return {
    ...figures,
    previous,
    recall_drop: drop,
    max_recall_drop: set.maxRecallDrop,
    held,
    ...(source.id !== version.id && { inherited_from: source.version }),
    by_question: mine,
  };
}

/** Each question's first right chunk among the version's top ten, by rank. */
async function answerAll(ctx: AppContext, version: VersionRow, questions: EvalQuestion[]) {
  const out: Answered[] = [];
  for (const q of questions) {
    const hits = await searchVersion(ctx, {
      versionId: version.id,
      chunks: version.chunkCount ?? 0,
      query: q.question,
      topK: MRR_AT,
    });
    const at = hits.findIndex((hit) => answers(q.expect, hit));
    out.push({ question: q.question, rank: at === -1 ? null : at + 1, section: hits[at]?.heading ?? null });
  }
  return out;
}

async function hold(
  ctx: AppContext,
  version: VersionRow,
  previous: RetrievalFigures & { version: string },
  now: RetrievalFigures,
  allowed: number,
) {
  const reason = `recall@5 fell from ${previous.recall_at_5} (v${previous.version}) to ${now.recall_at_5}, more than the ${allowed} allowed`;
  await ctx.db
    .update(cubeVersions)
    .set({ heldAt: new Date(), heldReason: reason })
    .where(eq(cubeVersions.id, version.id));
}

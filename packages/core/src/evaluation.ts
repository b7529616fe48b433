import { z } from "zod";

/**
 * A plaintext version's evaluation set: questions a buyer would ask, each with what a right answer
 * must contain or the section that holds it, answered by the platform's search over the version
 * alone. The figures are the retrieval measures search people compare: recall@5 (a right chunk in
 * the first five), MRR@10 (1 / the rank of the first right chunk, 0 beyond ten) and the questions
 * answered (a right chunk in the first ten).
 */

/** The most questions one version carries, and the ranks the measures look at. */
export const MAX_EVAL_QUESTIONS = 500;
export const RECALL_AT = 5;
export const MRR_AT = 10;

const printable = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]+$/u, "printable text on one line");

/** One line of the evaluation set (`application/x-ndjson`). */
export const evalQuestionSchema = z
  .object({
    question: printable(1_000),
    expect: z.union([
      z.object({ contains: printable(500) }).strict(),
      z.object({ section: printable(300) }).strict(),
    ]),
  })
  .strict();
export type EvalQuestion = z.infer<typeof evalQuestionSchema>;

/** Whether a retrieved chunk answers the question: its text holds the words, or it is in the section. */
export function answers(expect: EvalQuestion["expect"], chunk: { text: string; heading: string | null }) {
  const fold = (s: string) => s.normalize("NFKC").toLowerCase().replace(/\s+/g, " ");
  if ("contains" in expect) return fold(chunk.text).includes(fold(expect.contains));
  // A heading is the section's path ("Guide › Knots"): the section named is one of its parts.
  const wanted = fold(expect.section);
  return (chunk.heading ?? "").split(" › ").some((part) => fold(part) === wanted);
}

export type RetrievalFigures = {
  questions: number;
  recall_at_5: number;
  mrr_at_10: number;
  answered: number;
};

/** The figures of a set of questions from the rank (from 1) of each one's first right chunk, or null. */
export function retrievalFigures(ranks: readonly (number | null)[]): RetrievalFigures {
  const n = ranks.length;
  const within = (k: number) => ranks.filter((r) => r !== null && r <= k).length;
  const reciprocal = ranks.reduce<number>((sum, r) => sum + (r !== null && r <= MRR_AT ? 1 / r : 0), 0);
  return {
    questions: n,
    recall_at_5: n === 0 ? 0 : round4(within(RECALL_AT) / n),
    mrr_at_10: n === 0 ? 0 : round4(reciprocal / n),
    answered: within(MRR_AT),
  };
}

/** How far recall@5 fell from one set of figures to the next (negative: it rose), to 4 places. */
export function recallDrop(before: RetrievalFigures, now: RetrievalFigures): number {
  return round4(before.recall_at_5 - now.recall_at_5);
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

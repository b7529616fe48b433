import { describe, expect, it } from "vitest";
import { answers, evalQuestionSchema, retrievalFigures } from "./evaluation.ts";

describe("retrieval figures", () => {
  it("counts recall@5 and answered from the first right rank, MRR@10 as the mean reciprocal rank", () => {
    // Ranks 1, 3, 6, 11 and none: two within 5, three within 10.
    expect(retrievalFigures([1, 3, 6, 11, null])).toEqual({
      questions: 5,
      recall_at_5: 0.4,
      mrr_at_10: Math.round(((1 + 1 / 3 + 1 / 6) / 5) * 10_000) / 10_000,
      answered: 3,
    });
    expect(retrievalFigures([])).toEqual({ questions: 0, recall_at_5: 0, mrr_at_10: 0, answered: 0 });
  });
});

describe("what answers a question", () => {
  it("finds the words in the chunk whatever their case and spacing, or the section among its heading's parts", () => {
    const chunk = { text: "Storm cranes are lashed at\n40  Knots.", heading: "Harbour handbook › Cranes" };
    expect(answers({ contains: "40 knots" }, chunk)).toBe(true);
    expect(answers({ contains: "50 knots" }, chunk)).toBe(false);
    expect(answers({ section: "cranes" }, chunk)).toBe(true);
    expect(answers({ section: "Crane" }, chunk)).toBe(false);
    expect(answers({ section: "Cranes" }, { text: "", heading: null })).toBe(false);
  });

  it("takes one line per question with exactly one kind of expectation, printable and bounded", () => {
    const ok = { question: "When?", expect: { contains: "40 knots" } };
    expect(evalQuestionSchema.safeParse(ok).success).toBe(true);
    for (const bad of [
      { question: "", expect: { contains: "x" } },
      { question: "When?", expect: {} },
      { question: "When?", expect: { contains: "x", section: "y" } },
      { question: "When?\u0000", expect: { contains: "x" } },
      { question: "x".repeat(1_001), expect: { contains: "x" } },
      { ...ok, extra: true },
    ]) {
      expect(evalQuestionSchema.safeParse(bad).success).toBe(false);
    }
  });
});

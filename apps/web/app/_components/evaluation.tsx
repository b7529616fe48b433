type Figures = { questions: number; recall_at_5: number; mrr_at_10: number; answered: number };
export type EvaluationFigures = Figures & {
  previous?: Figures & { version: string };
  inherited_from?: string;
  by_question?: Array<{ question: string; rank: number | null; section: string | null }>;
};

const percent = (x: number) => `${Math.round(x * 100)} %`;

/** The change from the version before, in points of recall ("+10 pts"), or nothing to compare. */
function change(now: number, before: number | undefined) {
  if (before === undefined) return null;
  const points = Math.round((now - before) * 100);
  return points === 0 ? "no change" : `${points > 0 ? "+" : "−"}${Math.abs(points)} pts`;
}

/**
 * A version's measured quality, as a buyer compares packs: recall@5 on the publisher's questions,
 * with the change from the version before; the detail says what the figures mean.
 */
export function EvaluationBadge({ evaluation: e }: { evaluation: EvaluationFigures | null }) {
  if (!e) return null;
  const moved = change(e.recall_at_5, e.previous?.recall_at_5);
  const fell = e.previous !== undefined && e.recall_at_5 < e.previous.recall_at_5;
  return (
    <span
      className={`badge ${fell ? "warn" : "ok"}`}
      data-testid="evaluation-badge"
      title={`${e.questions} questions: recall@5 ${e.recall_at_5} (a right answer in the first five), MRR@10 ${e.mrr_at_10}, ${e.answered} answered in the first ten`}
    >
      Answers {percent(e.recall_at_5)} of {e.questions} test questions in the top 5
      {moved && ` · ${moved} from v${e.previous!.version}`}
    </span>
  );
}

/** Each question's result, for the publisher: its rank (or none in the first ten) and where it was found. */
export function QuestionResults({ evaluation: e }: { evaluation: EvaluationFigures }) {
  return (
    <details className="small">
      <summary>
        Evaluation: recall@5 {e.recall_at_5}, MRR@10 {e.mrr_at_10}, {e.answered}/{e.questions} answered
        {e.inherited_from && ` (questions of v${e.inherited_from})`}
      </summary>
      <ol data-testid="question-results">
        {e.by_question?.map((q, i) => (
          <li key={i}>
            {q.question} — {q.rank === null ? <strong>not found in the first ten</strong> : `rank ${q.rank}`}
            {q.section && ` · ${q.section}`}
          </li>
        ))}
      </ol>
    </details>
  );
}

import {
  AppError,
  type EvalQuestion,
  evalQuestionSchema,
  jsonDeeperThan,
  jsonValueProblem,
  MAX_EVAL_QUESTIONS,
  type Subject,
} from "@memstore/core";
import { versionEvals } from "@memstore/db";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import type { evalSetQuery } from "./schemas.ts";
import { loadOwnVersion } from "../catalog/versions.ts";

/**
 * `PUT /api/v1/cubes/{cube_id}/versions/{version}/eval`: a plaintext draft's evaluation set, as
 * NDJSON lines `{ question, expect: { contains } | { section } }` (1–500), replacing any set before;
 * `max_recall_drop` holds the version for the publisher if its recall@5 falls by more than that
 * from the version before. Every line is checked before anything is written.
 */
export async function attachEvalSet(
  ctx: AppContext,
  subject: Subject,
  ref: { cubeId: string; version: string },
  body: string,
  query: z.infer<typeof evalSetQuery>,
) {
  authorize(subject, "cube.write");
  const { cube, version } = await loadOwnVersion(ctx.db, subject, "cube.write", ref.cubeId, ref.version);
  if (version.status !== "draft") {
    throw new AppError(
      "version_not_draft",
      `version ${version.version} is ${version.status}; questions are attached to a draft before it is submitted`,
    );
  }
  if (cube.type !== "plaintext") {
    throw new AppError(
      "conflict",
      `a ${cube.type} version is validated on its base model, not evaluated by questions`,
    );
  }
  const questions = parseEvalSet(body);
  await ctx.db.transaction(async (tx) => {
    const values = { questions, maxRecallDrop: query.max_recall_drop ?? null };
    await tx
      .insert(versionEvals)
      .values({ versionId: version.id, ...values })
      .onConflictDoUpdate({ target: versionEvals.versionId, set: { ...values, createdAt: new Date() } });
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "version.eval_set",
      objectType: "cube_version",
      objectId: version.id,
      data: { cube_id: cube.id, version: version.version, questions: questions.length },
    });
  });
  return { questions: questions.length, max_recall_drop: query.max_recall_drop ?? null };
}

/** The lines of an evaluation set, each checked; 400 naming the first lines that are wrong. */
export function parseEvalSet(body: string): EvalQuestion[] {
  const lines = body.split("\n").map((text, i) => ({ text: text.replace(/\r$/, ""), number: i + 1 }));
  const filled = lines.filter((l) => l.text.trim() !== "");
  if (filled.length === 0) throw new AppError("invalid_input", "the evaluation set has no questions");
  if (filled.length > MAX_EVAL_QUESTIONS) {
    throw new AppError(
      "invalid_input",
      `an evaluation set holds at most ${MAX_EVAL_QUESTIONS} questions; this one has ${filled.length}`,
    );
  }
  const errors: Array<{ line: number; message: string }> = [];
  const questions: EvalQuestion[] = [];
  for (const line of filled) {
    const checked = parseLine(line.text);
    if ("message" in checked) errors.push({ line: line.number, message: checked.message });
    else questions.push(checked.question);
  }
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new AppError("invalid_input", `line ${first.line}: ${first.message}`, {
      errors: errors.slice(0, 20),
    });
  }
  return questions;
}

function parseLine(text: string): { question: EvalQuestion } | { message: string } {
  if (jsonDeeperThan(text)) return { message: "nests too deep" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { message: "not valid JSON" };
  }
  const problem = jsonValueProblem(value);
  if (problem) return { message: `${problem.path || "the line"} ${problem.message}` };
  const parsed = evalQuestionSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { message: `${issue.path.join(".") || "the line"}: ${issue.message}` };
  }
  return { question: parsed.data };
}

import type { MarkDensity } from "@memstore/core";
import type { RunRow } from "@memstore/db";
import type { MarkCost } from "../pipeline/plaintext/mark-cost.ts";

/**
 * What a buyer reads of a listed version before acquiring it, from its processing runs: the checks a
 * store card shows, the desensitisation and validation summaries of the listing page, and reports
 * fit to show another organisation.
 */

/**
 * The three things a buyer checks before paying, for a version: that the platform signed its
 * manifest, how its personal data was handled (the residual risk), and how far it was validated
 * against its base model (a run on the model, or static checks only).
 */
export function checksOf(
  version: { signature: string | null },
  desensitise: RunRow | undefined,
  validate: RunRow | undefined,
) {
  const validation = validationSummary(validate);
  const risk = desensitisationSummary(desensitise)?.residual_risk;
  return {
    signed: version.signature !== null,
    desensitised: typeof risk === "string" ? risk : null,
    validated: validation ? validation.level : null,
  };
}

/** What the store shows of a version's desensitisation: what was found, what was done, what is left. */
export function desensitisationSummary(run: RunRow | undefined) {
  if (!run) return null;
  const report = run.report as { entities?: unknown; residual?: unknown; residual_risk?: unknown };
  return {
    entities: report.entities ?? {},
    residual: report.residual ?? {},
    residual_risk: report.residual_risk ?? null,
  };
}

type ModelRun = {
  skipped?: string;
  provider?: string;
  passed?: boolean;
  tolerance?: number;
  logits?: { max_abs_diff?: number; mean_abs_change?: number };
  speedup?: number;
  ttft_ms?: { full_prompt: number; from_snapshot: number };
  kl?: { mean: number; max: number };
  modules?: unknown[];
};

/**
 * What the store shows of a binary version's validation: `model-run` when it ran on its base
 * model's ONNX export (KV: the logits against the full prompt and the time-to-first-token speedup;
 * LoRA: the KL from the base model and the modules that changed the output), `static` when the
 * registry had no export (dimensions and numeric sanity only). Null for plaintext.
 */
export function validationSummary(run: RunRow | undefined) {
  if (!run || run.status !== "succeeded") return null;
  const report = run.report as { base_model?: string; run?: ModelRun };
  const model = report.run ?? {};
  const ran = model.skipped === undefined && model.provider !== undefined;
  return {
    base_model: report.base_model ?? null,
    level: ran ? ("model-run" as const) : ("static" as const),
    provider: ran ? model.provider! : null,
    kv:
      ran && model.speedup !== undefined
        ? {
            logits_max_abs_diff: model.logits?.max_abs_diff ?? null,
            tolerance: model.tolerance ?? null,
            ttft_ms: model.ttft_ms ?? null,
            speedup: model.speedup,
          }
        : null,
    lora:
      ran && model.kl !== undefined
        ? { kl_mean: model.kl.mean, kl_max: model.kl.max, modules: model.modules?.length ?? 0 }
        : null,
    note: model.skipped ?? null,
  };
}

/**
 * What a plaintext version's fingerprint marks cost an agent at the listing's density: tokens served
 * per clean token, measured by the convert stage (o200k_base, on its first chunks). 1 when off; null
 * when not measured (a binary cube, or a version converted before the measurement existed).
 */
export function markCostSummary(convert: RunRow | undefined, density: MarkDensity) {
  const cost = (convert?.report as { mark_cost?: MarkCost | null } | undefined)?.mark_cost;
  if (!cost) return null;
  return {
    density,
    token_ratio: density === "off" ? 1 : cost[density],
    tokenizer: cost.tokenizer,
    measured_chunks: cost.chunks,
  };
}

/**
 * Other organisations see counts, never samples: even masked, a sample hints at a real value. Nor
 * do they see the evaluation's questions one by one: those are the publisher's test, not the pack's.
 */
export function withoutSamples<R extends { kind: string; report: Record<string, unknown> }>(run: R): R {
  if (run.kind === "evaluate") {
    const { by_question: _questions, ...report } = run.report;
    return { ...run, report };
  }
  if (run.kind !== "desensitise") return run;
  const { samples: _samples, residual_samples: _residual, ...report } = run.report;
  return { ...run, report };
}

import type { Detector } from "./detect.ts";
import { type BatchRecognizer, type Finding, HIGH_RISK } from "./entities.ts";
import { applyOperator, type PublisherKeys, Pseudonyms } from "./operators.ts";
import type { PiiPolicy } from "./policy.ts";

export type DesensitiseOptions = {
  detector: Detector;
  policy: PiiPolicy;
  keys: PublisherKeys;
  /** A model run over each batch of texts (`applyAll`) before the detector, its findings added to it. */
  model?: BatchRecognizer | null;
};

/**
 * Desensitises one text after another with one policy, keys and pseudonym table (a cube's items
 * or sections), and keeps the figures of its report.
 */
export class Desensitiser {
  private readonly pseudonyms: Pseudonyms;
  private readonly counts = new Map<string, { found: number; operator: string }>();
  private readonly residualCounts = new Map<string, number>();
  private readonly samples: Array<{
    type: string;
    where: string;
    start: number;
    end: number;
    sample: string;
    operator: string;
  }> = [];
  private residualSamples: Array<{
    type: string;
    where: string;
    start: number;
    end: number;
    sample: string;
  }> = [];
  private texts = 0;
  private bytes = 0;

  constructor(private readonly options: DesensitiseOptions) {
    this.pseudonyms = new Pseudonyms(options.keys.hmacSecret);
  }

  /**
   * Texts with the policy applied, in order (pseudonyms are numbered as they first appear): the
   * model, if there is one, reads the whole batch first.
   */
  async applyAll(entries: ReadonlyArray<{ text: string; where: string }>): Promise<string[]> {
    const model = this.options.model;
    const found = model ? await model.findAll(entries.map((e) => e.text)) : null;
    return entries.map((e, i) => this.apply(e.text, e.where, found?.[i]));
  }

  /**
   * The text with the policy applied; `where` names it in the report (e.g. "line 12"). `extra`:
   * what a batch recogniser found in it (see `applyAll`).
   */
  apply(text: string, where: string, extra?: readonly Finding[]): string {
    const { detector, policy, keys } = this.options;
    this.texts++;
    this.bytes += Buffer.byteLength(text);
    const findings = detector.find(text, extra);
    let out = "";
    let at = 0;
    for (const f of findings) {
      const op = policy[f.type];
      const entry = this.counts.get(f.type) ?? { found: 0, operator: op?.operator ?? "none" };
      entry.found++;
      this.counts.set(f.type, entry);
      // The first five of each type are sampled.
      if (entry.found <= 5) {
        this.samples.push({
          type: f.type,
          where,
          start: f.start,
          end: f.end,
          sample: maskSample(f.text),
          operator: entry.operator,
        });
      }
      const replacement = op ? applyOperator(op, f, keys, this.pseudonyms) : f.text;
      out += text.slice(at, f.start) + replacement;
      at = f.end;
      // Residual: what the policy leaves recognisable without keeping it on purpose. A type with no
      // operator stays as it was; a partial mask may still be found (e.g. too few digits masked).
      if (op?.operator === "keep") continue;
      const left = !op ? [f] : op.operator === "mask" ? detector.find(replacement) : [];
      for (const r of left) this.residual(r, where, f.start + (r === f ? 0 : r.start));
    }
    out += text.slice(at);
    return out;
  }

  private residual(f: Finding, where: string, start: number) {
    this.residualCounts.set(f.type, (this.residualCounts.get(f.type) ?? 0) + 1);
    if (this.residualSamples.length < 20) {
      this.residualSamples.push({
        type: f.type,
        where,
        start,
        end: start + f.text.length,
        sample: maskSample(f.text),
      });
    }
  }

  /** Types whose residual findings stop publication (high risk, not kept on purpose). */
  get blockingTypes(): string[] {
    return [...this.residualCounts.keys()].filter((t) => HIGH_RISK.has(t)).sort();
  }

  report() {
    const residual = Object.fromEntries([...this.residualCounts].sort());
    const blocking = this.blockingTypes;
    return {
      texts: this.texts,
      bytes: this.bytes,
      entities: Object.fromEntries([...this.counts].sort().map(([type, c]) => [type, c])),
      samples: this.samples,
      residual,
      residual_samples: this.residualSamples,
      residual_risk: blocking.length ? "high" : Object.keys(residual).length ? "low" : "none",
      blocking_types: blocking,
    };
  }
}
export type DesensitiseReport = ReturnType<Desensitiser["report"]>;

/** Enough of a value to recognise its shape in a report, never the value itself. */
export function maskSample(value: string): string {
  const chars = [...value];
  const keep = chars.length > 8 ? 2 : 1;
  return chars
    .map((c, i) => (i < keep || i >= chars.length - keep || /[\s@.:/-]/.test(c) ? c : "•"))
    .join("");
}

import type { Finding, Recognizer } from "../entities.ts";

export type PatternSpec = {
  name: string;
  type: string;
  /** Must carry the `g` flag. Group `value` (or `said`), when present, is the span reported. */
  pattern: RegExp;
  score: number;
  /**
   * Checks a candidate: false drops it, a number replaces the score (e.g. lower for a weak form).
   * `before` is up to 48 characters of text before the match.
   */
  validate?: (value: string, match: RegExpExecArray, before: string) => boolean | number;
  /** Words that, shortly before the match, make it more likely (case-insensitive). */
  context?: readonly string[];
  /** Without a context word, the candidate is dropped (not merely scored lower). */
  contextRequired?: boolean;
  /**
   * A cheap test the text must pass before the pattern runs (e.g. /@/ for e-mail): most texts
   * hold none of most types, and one quick scan is far cheaper than the full pattern's.
   */
  requires?: RegExp | ((text: string) => boolean);
};

const CONTEXT_WINDOW = 48;
const CONTEXT_BOOST = 0.15;

/** A recogniser from a regular expression, a validator and context words. */
export function patternRecognizer(spec: PatternSpec): Recognizer {
  if (!spec.pattern.flags.includes("g")) throw new Error(`${spec.name}: the pattern needs the g flag`);
  const context = spec.context?.length
    ? new RegExp(`\\b(?:${spec.context.map(escape).join("|")})`, "i")
    : null;
  return {
    name: spec.name,
    find(text) {
      const found: Finding[] = [];
      if (
        spec.requires &&
        !(typeof spec.requires === "function" ? spec.requires(text) : spec.requires.test(text))
      ) {
        return found;
      }
      // A required context word absent from the whole text rules every candidate out.
      if (spec.contextRequired && context && !context.test(text)) return found;
      const pattern = new RegExp(spec.pattern.source, spec.pattern.flags);
      for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
        if (m[0].length === 0) {
          pattern.lastIndex++;
          continue;
        }
        const group = m.groups?.value ?? m.groups?.said;
        const value = group ?? m[0];
        const start = m.index + (group ? m[0].indexOf(value) : 0);
        const before = text.slice(Math.max(0, start - CONTEXT_WINDOW), start);
        const checked = spec.validate ? spec.validate(value, m, before) : true;
        if (checked === false) continue;
        let score = typeof checked === "number" ? checked : spec.score;
        const near = context?.test(before) ?? false;
        if (spec.contextRequired && !near) continue;
        if (near) score = Math.min(1, score + CONTEXT_BOOST);
        found.push({
          type: spec.type,
          start,
          end: start + value.length,
          text: value,
          score,
          recognizer: spec.name,
        });
      }
      return found;
    },
  };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");

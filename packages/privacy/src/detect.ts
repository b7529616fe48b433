import type { Finding, Recognizer } from "./entities.ts";
import { type CustomRecognizer, customRecognizer } from "./custom.ts";
import { PEOPLE_AND_PLACES } from "./recognizers/names.ts";
import { phoneRecognizer } from "./recognizers/phone.ts";
import { STRUCTURED } from "./recognizers/structured.ts";

export type DetectorOptions = {
  /** Findings scored below this are dropped (default 0.5). */
  minScore?: number;
  /** A publisher's recognisers, run with the built-in ones. */
  custom?: CustomRecognizer[];
  /** Replaces the built-in PERSON/LOCATION heuristic (e.g. an ONNX token-classification model). */
  peopleAndPlaces?: Recognizer[];
};

/** `extra`: findings already made for this text by a batch recogniser (a model), resolved with the rest. */
export type Detector = { find(text: string, extra?: readonly Finding[]): Finding[] };

/** The recognisers a detector runs (bench/desensitise times each). */
export function recognizersFor(options: DetectorOptions = {}): Recognizer[] {
  return [
    ...STRUCTURED,
    phoneRecognizer(),
    ...(options.peopleAndPlaces ?? PEOPLE_AND_PLACES),
    ...(options.custom ?? []).map(customRecognizer),
  ];
}

/**
 * Every recogniser over a text, overlapping findings resolved: where two spans overlap, the higher
 * score wins, then the longer span (a card number inside a URL with credentials is one finding).
 */
export function createDetector(options: DetectorOptions = {}): Detector {
  const recognizers = recognizersFor(options);
  const minScore = options.minScore ?? 0.5;
  return {
    find(text, extra = []) {
      const all = [...recognizers.flatMap((r) => r.find(text)), ...extra].filter((f) => f.score >= minScore);
      all.sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
      const kept: Finding[] = [];
      for (const finding of all) {
        if (!kept.some((k) => finding.start < k.end && k.start < finding.end)) kept.push(finding);
      }
      return kept.sort((a, b) => a.start - b.start);
    },
  };
}

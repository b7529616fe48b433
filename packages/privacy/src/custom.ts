import type { Recognizer } from "./entities.ts";
import { patternRecognizer } from "./recognizers/pattern.ts";
import type { CustomRecognizer } from "./schemas.ts";
import { ibanValid, luhnValid } from "./validators.ts";

export { type CustomRecognizer, customRecognizerSchema } from "./schemas.ts";

/** Checks a publisher may attach to a custom recogniser (code of their own never runs here). */
const VALIDATORS: Record<string, (value: string) => boolean> = {
  luhn: (v) => luhnValid(v.replace(/\D/g, "")),
  iban: (v) => ibanValid(v.replace(/\s/g, "")),
};

export function customRecognizer(spec: CustomRecognizer): Recognizer {
  const check = spec.validator ? VALIDATORS[spec.validator]! : undefined;
  return patternRecognizer({
    name: `custom:${spec.name}`,
    type: spec.type,
    pattern: new RegExp(spec.pattern, "gu"),
    score: spec.score,
    ...(check ? { validate: (value: string) => check(value) } : {}),
    context: spec.context,
    contextRequired: spec.context_required,
  });
}

import { z } from "zod";
import type { Recognizer } from "./entities.ts";
import { patternRecognizer } from "./recognizers/pattern.ts";
import { ibanValid, luhnValid } from "./validators.ts";

/** Checks a publisher may attach to a custom recogniser (code of their own never runs here). */
const VALIDATORS: Record<string, (value: string) => boolean> = {
  luhn: (v) => luhnValid(v.replace(/\D/g, "")),
  iban: (v) => ibanValid(v.replace(/\s/g, "")),
};

/**
 * A publisher's own recogniser: a pattern (JavaScript regular expression source), context words
 * and an optional built-in validator. Patterns that could backtrack without end (a quantified
 * group holding a quantifier) are refused, since they run on shared workers.
 */
export const customRecognizerSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, "lower-case letters, digits and dashes"),
    type: z.string().regex(/^[A-Z][A-Z0-9_]{1,40}$/, "UPPER_SNAKE_CASE, e.g. EMPLOYEE_ID"),
    pattern: z
      .string()
      .min(1)
      .max(500)
      .refine((p) => compiles(p), "not a valid regular expression")
      .refine((p) => !/\([^()]*[+*}][^()]*\)[+*{]/.test(p), "nested quantifiers could run without end"),
    context: z.array(z.string().min(1).max(40)).max(20).default([]),
    context_required: z.boolean().default(false),
    validator: z.enum(["luhn", "iban"]).optional(),
    score: z.number().min(0).max(1).default(0.8),
  })
  .strict();
export type CustomRecognizer = z.infer<typeof customRecognizerSchema>;

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "gu");
    return true;
  } catch {
    return false;
  }
}

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

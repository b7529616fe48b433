import { z } from "zod";

/**
 * The privacy settings publishers and vault owners write: operators, policies and custom recognisers.
 * Zod only (no node: modules), so the portal's forms validate with the same schemas in the browser.
 */

/** What happens to a finding of one entity type. */
export const operatorSchema = z.discriminatedUnion("operator", [
  z.object({ operator: z.literal("redact") }).strict(),
  z.object({ operator: z.literal("replace"), with: z.string().max(100).optional() }).strict(),
  z
    .object({
      operator: z.literal("mask"),
      chars: z.number().int().min(1).max(1000).default(4),
      from_end: z.boolean().default(false),
      char: z.string().length(1).default("*"),
    })
    .strict(),
  z.object({ operator: z.literal("pseudonymise") }).strict(),
  z.object({ operator: z.literal("hash") }).strict(),
  z.object({ operator: z.literal("encrypt") }).strict(),
  z.object({ operator: z.literal("keep") }).strict(),
]);
export type Operator = z.infer<typeof operatorSchema>;
export type OperatorName = Operator["operator"];

export const OPERATOR_NAMES = [
  "redact",
  "replace",
  "mask",
  "pseudonymise",
  "hash",
  "encrypt",
  "keep",
] as const satisfies readonly OperatorName[];

/**
 * A version's `pii_policy`: an operator per entity type, by name (`"replace"`) or with options
 * (`{ "operator": "mask", "chars": 12 }`). A type the policy does not name is left in place and
 * reported as residual; `keep` leaves it on purpose. An empty policy means the default one.
 */
export const piiPolicySchema = z
  .record(
    z.string().regex(/^[A-Z][A-Z0-9_]{1,40}$/, "entity types are UPPER_SNAKE_CASE, e.g. EMAIL"),
    z.union([z.enum(OPERATOR_NAMES), operatorSchema]),
  )
  .default({});
export type PiiPolicyInput = z.input<typeof piiPolicySchema>;

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

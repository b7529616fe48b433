import { z } from "zod";
import { type Operator, type OperatorName, operatorSchema } from "./operators.ts";

const OPERATOR_NAMES = [
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
export type PiiPolicy = Record<string, Operator>;

/** What a cube gets when its publisher says nothing: contact details and identifiers replaced, people pseudonymised. */
export const DEFAULT_PII_POLICY: PiiPolicy = {
  EMAIL: { operator: "replace" },
  PHONE: { operator: "replace" },
  CREDIT_CARD: { operator: "replace" },
  IBAN: { operator: "replace" },
  US_SSN: { operator: "replace" },
  IP_ADDRESS: { operator: "replace" },
  MAC_ADDRESS: { operator: "replace" },
  URL_CREDENTIALS: { operator: "replace" },
  SECRET: { operator: "redact" },
  CRYPTO: { operator: "replace" },
  DATE_OF_BIRTH: { operator: "replace" },
  PERSON: { operator: "pseudonymise" },
  LOCATION: { operator: "keep" },
};

/** The policy to apply: the default when none is given, every entry as a full operator. */
export function resolvePolicy(input: z.output<typeof piiPolicySchema>): PiiPolicy {
  const entries = Object.entries(input);
  if (entries.length === 0) return DEFAULT_PII_POLICY;
  return Object.fromEntries(
    entries.map(([type, op]) => [type, typeof op === "string" ? operatorSchema.parse({ operator: op }) : op]),
  );
}

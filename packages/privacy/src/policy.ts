import type { z } from "zod";
import { type Operator, operatorSchema, type piiPolicySchema } from "./schemas.ts";

export { piiPolicySchema, type PiiPolicyInput } from "./schemas.ts";

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

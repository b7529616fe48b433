import semver from "semver";
import { z } from "zod";

/**
 * An install's version policy: "latest", a semver range ("^1.2"), or an exact version.
 * Returns the newest version that satisfies it, or null.
 */
export function isValidVersionPolicy(policy: string): boolean {
  return policy === "latest" || semver.valid(policy) !== null || semver.validRange(policy) !== null;
}

export function resolveVersionPolicy(policy: string, available: readonly string[]): string | null {
  if (policy === "latest") return semver.maxSatisfying([...available], "*") ?? null;
  if (semver.valid(policy)) return available.includes(policy) ? policy : null;
  return semver.maxSatisfying([...available], policy) ?? null;
}

/** The `version_policy` field of installs and auto-installs: trimmed, "latest" when absent. */
export const versionPolicySchema = z
  .string()
  .trim()
  .max(100)
  .default("latest")
  .refine(isValidVersionPolicy, "must be 'latest', a semver range or an exact version");

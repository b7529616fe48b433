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

/** A newer ready version than an install holds: the newest its policy allows, else the newest there is. */
export type UpdateAvailable = { version: string; allowed_by_policy: boolean };

/**
 * Whether an install on `current` under `policy` has an update among the `ready` versions: the
 * newest newer version the policy allows (`allowed_by_policy: true`), else the newest newer one
 * (`false`: a pinned or narrower policy keeps it where it is); null when nothing newer is ready.
 */
export function updateAvailable(
  policy: string,
  current: string,
  ready: readonly string[],
): UpdateAvailable | null {
  const newer = ready.filter((v) => semver.valid(v) && semver.gt(v, current));
  if (newer.length === 0) return null;
  const allowed = resolveVersionPolicy(policy, newer);
  if (allowed) return { version: allowed, allowed_by_policy: true };
  return { version: semver.rsort([...newer])[0]!, allowed_by_policy: false };
}

/** The `version_policy` field of installs and auto-installs: trimmed, "latest" when absent. */
export const versionPolicySchema = z
  .string()
  .trim()
  .max(100)
  .default("latest")
  .refine(isValidVersionPolicy, "must be 'latest', a semver range or an exact version");

/** How bad a yanked version is: `normal` installs with nowhere to go keep it with a notice; `critical` ones are suspended. */
export const YANK_SEVERITIES = ["normal", "critical"] as const;
export type YankSeverity = (typeof YANK_SEVERITIES)[number];

/** What an install's owner is told when the version it holds was yanked and its policy allows no other. */
export type InstallNotice = {
  code: "version_yanked";
  version: string;
  reason: string;
  severity: YankSeverity;
  at: string;
};

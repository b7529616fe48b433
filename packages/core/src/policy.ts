import { type EntitlementState, USABLE_ENTITLEMENT_STATES } from "./commerce.ts";
import type { ErrorCode } from "./errors.ts";
import { type Role, SCOPES, type Scope } from "./scopes.ts";

/**
 * The one policy function: subject × action × object × context → allow or deny, with a reason.
 * Every service asks it before touching an object; nothing else decides access.
 */
export type Subject = (
  | { kind: "user"; userId: string; orgId: string; role: Role }
  | {
      kind: "api_key";
      keyId: string;
      orgId: string;
      scopes: readonly Scope[];
      vaultId: string | null;
      /** When the key stops working; a key it creates may not outlive it. */
      expiresAt: Date | null;
      /** What the key's calls are for; a key it creates states no other purposes. */
      purposes: readonly string[];
    }
  /** A subscription acting on its own (auto-install), within the scopes and vault it was given. */
  | {
      kind: "event_subscription";
      eventSubscriptionId: string;
      orgId: string;
      scopes: readonly Scope[];
      vaultId: string | null;
    }
) & {
  /** The purpose this call states (the `MemStore-Purpose` header), if it states one. */
  purpose?: string;
};

/**
 * The purposes a call is made for: the one it states, else its key's. A listing whose terms name
 * purposes serves only calls for one of them.
 */
export function callPurposes(subject: Subject): readonly string[] {
  if (subject.purpose !== undefined) return [subject.purpose];
  return subject.kind === "api_key" ? subject.purposes : [];
}

/** Whether terms that name `licensed` purposes allow a call made for `purposes` (no purposes named: any call). */
export function purposeLicensed(
  licensed: readonly string[] | undefined,
  purposes: readonly string[],
): boolean {
  return !licensed?.length || purposes.some((p) => licensed.includes(p));
}

export type PolicyObject = {
  /** The organisation that owns the object; absent for objects every tenant may see (published listings). */
  orgId?: string;
  /**
   * The vault the object lives in; a key bound to another vault does not see it. `null`: an object
   * of the whole organisation outside any vault (an unbound key), which no vault-bound key sees.
   */
  vaultId?: string | null;
};

export type PolicyContext = {
  now?: Date;
  /** For actions on installed content: the entitlement that allows it. */
  entitlement?: { validUntil: Date | null; revokedAt: Date | null; state: EntitlementState } | null;
};

export type Decision = { allow: true } | { allow: false; code: ErrorCode; reason: string };

/**
 * The scope a key needs for the action (any one of them, when several are listed), the roles that
 * may, and how far it reaches: `vault`, an action on what lives in one vault (a key bound to that
 * vault may take it there); `organisation`, an action on what belongs to the whole organisation —
 * its cubes and listings, its money, its members, its secrets, new vaults — which a key bound to a
 * vault never takes, whatever its scopes.
 */
type Reach = "vault" | "organisation";
type Rule = { scope: Scope | readonly Scope[]; roles: readonly Role[]; reach: Reach };

const WRITERS: readonly Role[] = ["owner", "admin", "publisher"];
const MANAGERS: readonly Role[] = ["owner", "admin"];
const MEMBERS: readonly Role[] = ["owner", "admin", "publisher", "member"];
const READERS: readonly Role[] = ["owner", "admin", "publisher", "member", "auditor"];
const SELLERS: readonly Role[] = ["owner", "admin", "publisher", "auditor"];

export const ACTIONS = {
  // Publishing: the organisation's cubes, listings, offers, sales and the holders of its listings.
  "cube.read": { scope: "publish", roles: READERS, reach: "organisation" },
  "cube.write": { scope: "publish", roles: WRITERS, reach: "organisation" },
  "listing.write": { scope: "publish", roles: WRITERS, reach: "organisation" },
  // Tracing a leak names subscribers: publishers and the people who audit them.
  "cube.trace": { scope: "publish", roles: SELLERS, reach: "organisation" },
  // The store as the organisation sees it: its private offers, its entitlements, what it pays.
  "store.read": { scope: "subscribe", roles: READERS, reach: "organisation" },
  "store.acquire": { scope: "subscribe", roles: MANAGERS, reach: "organisation" },
  "usage.read": { scope: "subscribe", roles: READERS, reach: "organisation" },
  // A review speaks for the organisation that holds the listing; the reply for the one that sells it.
  "review.write": { scope: "subscribe", roles: MANAGERS, reach: "organisation" },
  "review.reply": { scope: "publish", roles: WRITERS, reach: "organisation" },
  // Anyone signed in may report a review, buyer or publisher.
  "review.report": { scope: ["subscribe", "publish"], roles: READERS, reach: "organisation" },
  "vault.read": { scope: "subscribe", roles: READERS, reach: "vault" },
  "vault.write": { scope: "subscribe", roles: MANAGERS, reach: "vault" },
  // A new vault lies outside any binding: a key bound to a vault makes nothing outside it.
  "vault.create": { scope: "subscribe", roles: MANAGERS, reach: "organisation" },
  // A legal hold is the organisation's act: no key bound to the vault it holds may lift it.
  "vault.freeze": { scope: "admin", roles: MANAGERS, reach: "organisation" },
  // What is installed in a vault: seen by those who manage it and by agents that read from it (to
  // find the install whose binary payload they download).
  "install.read": { scope: ["subscribe", "vault:read"], roles: READERS, reach: "vault" },
  // A subscription that installs into a vault lives there; one without is the organisation's.
  "subscription.write": { scope: "subscribe", roles: MANAGERS, reach: "vault" },
  "org_subscription.write": { scope: "subscribe", roles: MANAGERS, reach: "organisation" },
  "vault.search": { scope: "vault:read", roles: MEMBERS, reach: "vault" },
  "payload.download": { scope: "vault:read", roles: MEMBERS, reach: "vault" },
  "memory.read": { scope: "vault:read", roles: READERS, reach: "vault" },
  "vault.events": { scope: "vault:read", roles: READERS, reach: "vault" },
  "memory.write": { scope: "vault:write", roles: MEMBERS, reach: "vault" },
  // Where a publisher's share of its sales is paid: the organisation's bank details, for its admins.
  "payouts.manage": { scope: "admin", roles: MANAGERS, reach: "organisation" },
  "payouts.read": { scope: "publish", roles: SELLERS, reach: "organisation" },
  // A bound key manages the keys bound to its vault (and mints them no wider than itself).
  "key.manage": { scope: "admin", roles: MANAGERS, reach: "vault" },
  // The organisation's key for values its `encrypt` operator replaced: a secret of every vault.
  "publisher_key.read": { scope: "admin", roles: MANAGERS, reach: "organisation" },
  "member.read": { scope: "admin", roles: READERS, reach: "organisation" },
  // What the organisation's public publisher page says of it.
  "org.profile": { scope: "admin", roles: MANAGERS, reach: "organisation" },
  "member.manage": { scope: "admin", roles: MANAGERS, reach: "organisation" },
  "audit.read": { scope: "admin", roles: ["owner", "admin", "auditor"], reach: "organisation" },
  // The base model registry is shared by every tenant: read by any publisher, extended by admins.
  "model.read": { scope: "publish", roles: READERS, reach: "organisation" },
  "model.register": { scope: "admin", roles: MANAGERS, reach: "organisation" },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof ACTIONS;

const scopesOf = (rule: Rule): readonly Scope[] =>
  typeof rule.scope === "string" ? [rule.scope] : rule.scope;

/**
 * The scopes a key bound to a vault can use: those some vault action needs. The others (`publish`)
 * allow only organisation-wide actions, so a bound key is never minted with them.
 */
export const VAULT_KEY_SCOPES: readonly Scope[] = SCOPES.filter((scope) =>
  Object.values(ACTIONS).some((rule: Rule) => rule.reach === "vault" && scopesOf(rule).includes(scope)),
);

const deny = (code: ErrorCode, reason: string): Decision => ({ allow: false, code, reason });

export function decide(
  subject: Subject,
  action: Action,
  object: PolicyObject = {},
  context: PolicyContext = {},
): Decision {
  // Another tenant's object is invisible: deny as "not found" before anything else is revealed.
  if (object.orgId !== undefined && object.orgId !== subject.orgId) {
    return deny("not_found", "object belongs to another organisation");
  }
  if (subject.kind !== "user" && subject.vaultId !== null && object.vaultId !== undefined) {
    if (object.vaultId !== subject.vaultId) return deny("not_found", "key is bound to another vault");
  }

  const rule: Rule = ACTIONS[action];
  const scopes = scopesOf(rule);
  if (subject.kind !== "user" && !scopes.some((s) => subject.scopes.includes(s))) {
    return deny("forbidden", `${action} needs the '${scopes.join("' or '")}' scope`);
  }
  if (rule.reach === "organisation" && subject.kind !== "user" && subject.vaultId !== null) {
    return deny("forbidden", `${action} reaches the whole organisation; a key bound to a vault may not`);
  }
  if (subject.kind === "user" && !rule.roles.includes(subject.role)) {
    return deny("forbidden", `${action} is not allowed for the '${subject.role}' role`);
  }

  if (context.entitlement !== undefined) {
    const refused = entitlementRefusal(context.entitlement, context.now ?? new Date());
    if (refused) return refused;
  }
  return { allow: true };
}

type EntitlementFacts = NonNullable<PolicyContext["entitlement"]>;

/** Why an entitlement does not allow using what it covers at `now`, or null when it does. */
function entitlementRefusal(entitlement: EntitlementFacts | null, now: Date): Decision | null {
  if (entitlement === null) return deny("entitlement_required", "no entitlement for this listing");
  if (entitlement.revokedAt !== null && entitlement.revokedAt <= now) {
    return deny("entitlement_inactive", "the entitlement was revoked");
  }
  if (entitlement.validUntil !== null && entitlement.validUntil <= now) {
    return deny("entitlement_inactive", "the entitlement has expired");
  }
  if (!USABLE_ENTITLEMENT_STATES.includes(entitlement.state)) {
    return deny("entitlement_inactive", `the entitlement is ${entitlement.state}`);
  }
  return null;
}

/** Whether an organisation's entitlement lets it use what it covers now (whoever acts for it). */
export function entitlementUsable(entitlement: EntitlementFacts | null, now = new Date()): boolean {
  return entitlementRefusal(entitlement, now) === null;
}

/** What a new API key would be allowed: its scopes, its vault binding, its expiry. */
export type KeyRequest = {
  scopes: readonly Scope[];
  vaultId: string | null;
  expiresAt: Date | null;
  purposes?: readonly string[];
};

/**
 * Whether the subject may mint this key: people manage keys by their role (see `key.manage`); a key
 * only mints keys no wider than itself — scopes among its own, bound to its vault if it is bound,
 * expiring no later than it does — so a key can never be turned into a wider one.
 */
export function decideKeyMint(subject: Subject, request: KeyRequest): Decision {
  const useless = request.scopes.filter((s) => !VAULT_KEY_SCOPES.includes(s));
  if (request.vaultId !== null && useless.length > 0) {
    return deny(
      "invalid_input",
      `scopes: a key bound to a vault cannot use '${useless.join("', '")}': every action it allows reaches the whole organisation`,
    );
  }
  if (subject.kind === "user") return { allow: true };
  const extra = request.scopes.filter((s) => !subject.scopes.includes(s));
  if (extra.length > 0) {
    return deny(
      "forbidden",
      `a key may only create keys within its own scopes; it lacks '${extra.join("', '")}'`,
    );
  }
  if (subject.vaultId !== null && request.vaultId !== subject.vaultId) {
    return deny("forbidden", `a key bound to vault ${subject.vaultId} may only create keys bound to it`);
  }
  if (subject.kind === "api_key" && subject.purposes.length > 0) {
    const wanted = request.purposes ?? [];
    if (wanted.length === 0 || wanted.some((p) => !subject.purposes.includes(p))) {
      return deny(
        "forbidden",
        `a key for the purposes '${subject.purposes.join("', '")}' may only create keys for some of them`,
      );
    }
  }
  if (subject.kind === "api_key" && subject.expiresAt !== null) {
    if (request.expiresAt === null || request.expiresAt > subject.expiresAt) {
      return deny(
        "forbidden",
        `a key expiring at ${subject.expiresAt.toISOString()} may only create keys that expire no later`,
      );
    }
  }
  return { allow: true };
}

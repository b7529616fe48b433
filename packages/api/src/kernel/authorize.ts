import {
  type Action,
  AppError,
  decide,
  notFound,
  type PolicyContext,
  type PolicyObject,
  type Subject,
} from "@memstore/core";

/**
 * Asks the policy and throws its refusal as an AppError (404, 403 or 402 by the decision's code).
 * Without an object it asks only whether the subject may do this at all (its scope or role), which
 * services ask before they load anything, so a key without the scope hears 403 before 404.
 */
export function authorize(
  subject: Subject,
  action: Action,
  object?: PolicyObject,
  context?: PolicyContext,
): void {
  const decision = decide(subject, action, object, context);
  if (!decision.allow) {
    const detail = decision.code === "not_found" ? "not found" : decision.reason;
    throw new AppError(decision.code, detail);
  }
}

/** What the policy judges of a row: its organisation and, for what lives in a vault, the vault. */
export type Owned = { orgId: string; vaultId?: string | null };

/**
 * A row for `action`: the subject's scope or role checked first (403 before any query), then the row
 * the loader's query found, judged by the policy against its own organisation (and vault). Every
 * loader's query filters on the caller's organisation too; this second line means a query that
 * forgot to still cannot hand another tenant's row to a service: it answers 404 all the same.
 */
export async function loadAuthorized<R>(
  subject: Subject,
  action: Action,
  what: string,
  query: () => Promise<R[]>,
  ownerOf: (row: R) => Owned,
  context?: PolicyContext,
): Promise<R> {
  authorize(subject, action);
  const [row] = await query();
  if (row === undefined) notFound(what);
  authorize(subject, action, ownerOf(row), context);
  return row;
}

/** The rows of a list the subject may see; a row the policy refuses is left out, never shown. */
export function authorizedRows<R>(
  subject: Subject,
  action: Action,
  rows: readonly R[],
  ownerOf: (row: R) => Owned,
): R[] {
  return rows.filter((row) => decide(subject, action, ownerOf(row)).allow);
}

/** A row that belongs to an organisation. */
export const orgOf = (row: { orgId: string }): Owned => ({ orgId: row.orgId });
/** A row that lives in one of an organisation's vaults. */
export const vaultOf = (row: { orgId: string; vaultId: string }): Owned => ({
  orgId: row.orgId,
  vaultId: row.vaultId,
});

export function actorOf(subject: Subject): string {
  if (subject.kind === "user") return `user:${subject.userId}`;
  return subject.kind === "api_key" ? `key:${subject.keyId}` : `subscription:${subject.eventSubscriptionId}`;
}

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { AppError, decideKeyMint, newId, type Scope, type Subject } from "@memstore/core";
import { type ApiKeyRow, apiKeys, type Db, type Executor, sql, vaults } from "@memstore/db";
import { and, eq } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { type Page, type PageQuery, toPage } from "../kernel/pagination.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized } from "../kernel/authorize.ts";
import { createApiKeyInput } from "./schemas.ts";
import { keyPage, keyValidity, lockedKey } from "./queries.ts";

export { createApiKeyInput };

/** Keys look like `msk_<32 base62>`; the fixed prefix lets secret scanners find leaked keys. */
export const KEY_PREFIX = "msk_";
const LOOKUP_LENGTH = KEY_PREFIX.length + 10;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type ApiKeyView = {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  vault_id: string | null;
  purposes: string[];
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
};

function generateSecret(): string {
  const bytes = randomBytes(32);
  let out = KEY_PREFIX;
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Inserts a key row and returns the secret: the only time it exists outside a hash. */
export async function insertApiKey(
  tx: Executor,
  input: {
    orgId: string;
    name: string;
    scopes: readonly Scope[];
    vaultId?: string | null;
    expiresAt?: Date | null;
    purposes?: readonly string[];
    createdBy: string;
  },
): Promise<{ id: string; key: string }> {
  const key = generateSecret();
  const id = newId("key");
  await tx.insert(apiKeys).values({
    id,
    orgId: input.orgId,
    name: input.name,
    prefix: key.slice(0, LOOKUP_LENGTH),
    hash: sha256(key),
    scopes: [...input.scopes],
    vaultId: input.vaultId ?? null,
    expiresAt: input.expiresAt ?? null,
    purposes: [...(input.purposes ?? [])],
    createdBy: input.createdBy,
  });
  return { id, key };
}

export async function createApiKey(
  ctx: AppContext,
  subject: Subject,
  input: z.infer<typeof createApiKeyInput>,
): Promise<{ id: string; key: string }> {
  authorize(subject, "key.manage");
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt <= new Date())
    throw new AppError("invalid_input", "expires_at must be in the future");
  const mint = decideKeyMint(subject, {
    scopes: input.scopes,
    vaultId: input.vault_id ?? null,
    expiresAt,
    purposes: input.purposes ?? [],
  });
  if (!mint.allow) throw new AppError(mint.code, mint.reason);
  return ctx.db.transaction(async (tx) => {
    // A key bound to a vault: the vault must be one the caller may manage keys for.
    if (input.vault_id) {
      const vaultId = input.vault_id;
      await loadAuthorized(
        subject,
        "key.manage",
        "vault",
        () =>
          tx
            .select({ orgId: vaults.orgId, id: vaults.id })
            .from(vaults)
            .where(and(eq(vaults.id, vaultId), eq(vaults.orgId, subject.orgId))),
        (v) => ({ orgId: v.orgId, vaultId: v.id }),
      );
    }
    const created = await insertApiKey(tx, {
      orgId: subject.orgId,
      name: input.name,
      scopes: input.scopes,
      vaultId: input.vault_id ?? null,
      expiresAt,
      purposes: input.purposes ?? [],
      createdBy: actorOf(subject),
    });
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "key.created",
      objectType: "api_key",
      objectId: created.id,
      data: {
        name: input.name,
        scopes: input.scopes,
        vault_id: input.vault_id ?? null,
        purposes: input.purposes ?? [],
      },
    });
    return created;
  });
}

/** A key bound to a vault lives in it; an unbound one is the whole organisation's (`vaultId: null`). */
const ownerOfKey = (key: ApiKeyRow) => ({ orgId: key.orgId, vaultId: key.vaultId });

export async function listApiKeys(
  ctx: AppContext,
  subject: Subject,
  page: PageQuery,
): Promise<Page<ApiKeyView>> {
  authorize(subject, "key.manage");
  // A vault-bound key sees the keys bound to its vault, no wider ones.
  const onlyVaultId = subject.kind !== "user" ? subject.vaultId : null;
  const rows = await keyPage(ctx.db, { orgId: subject.orgId, onlyVaultId, page });
  return toPage(authorizedRows(subject, "key.manage", rows, ownerOfKey).map(apiKeyView), page);
}

function apiKeyView(r: ApiKeyRow): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    vault_id: r.vaultId,
    purposes: r.purposes,
    expires_at: r.expiresAt?.toISOString() ?? null,
    revoked_at: r.revokedAt?.toISOString() ?? null,
    last_used_at: r.lastUsedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
  };
}

export async function revokeApiKey(ctx: AppContext, subject: Subject, keyId: string): Promise<void> {
  authorize(subject, "key.manage");
  await ctx.db.transaction(async (tx) => {
    const key = await loadAuthorized(
      subject,
      "key.manage",
      "API key",
      () => lockedKey(tx, { orgId: subject.orgId, keyId }),
      ownerOfKey,
    );
    // Revoking twice is a no-op, audited once.
    if (key.revokedAt) return;
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id));
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "key.revoked",
      objectType: "api_key",
      objectId: keyId,
    });
  });
}

/**
 * The key lookup every authenticated request runs, as a named prepared statement built once per
 * database handle: neither drizzle's query building nor Postgres's parsing repeats per request.
 */
const keyLookups = new WeakMap<Db, ReturnType<typeof prepareKeyLookup>>();
const prepareKeyLookup = (db: Db) =>
  db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.prefix, sql.placeholder("prefix")))
    .prepare("api_key_by_prefix");
function keyLookup(db: Db) {
  let lookup = keyLookups.get(db);
  if (!lookup) keyLookups.set(db, (lookup = prepareKeyLookup(db)));
  return lookup;
}

/** Resolves a bearer secret to its subject; any failure is the same 401, whatever the cause. */
export async function authenticateApiKey(ctx: AppContext, secret: string | null): Promise<Subject> {
  const refuse = () =>
    new AppError("unauthenticated", "a valid API key is required (Authorization: Bearer msk_…)");
  if (!secret?.startsWith(KEY_PREFIX) || secret.length < LOOKUP_LENGTH) throw refuse();
  const [row] = await keyLookup(ctx.db).execute({ prefix: secret.slice(0, LOOKUP_LENGTH) });
  if (!row) throw refuse();
  const a = Buffer.from(sha256(secret), "hex");
  const b = Buffer.from(row.hash, "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw refuse();
  const now = new Date();
  if (row.revokedAt || (row.expiresAt && row.expiresAt <= now)) throw refuse();
  // Last use is for people reviewing keys; a minute of precision spares a write per call.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await ctx.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id));
  }
  return {
    kind: "api_key",
    keyId: row.id,
    orgId: row.orgId,
    scopes: row.scopes,
    vaultId: row.vaultId,
    expiresAt: row.expiresAt,
    purposes: row.purposes,
  };
}

/**
 * Whether a subject authenticated earlier may still act now: its key is neither revoked nor expired.
 * Long-lived responses (an event stream) ask this again while they run.
 */
export async function subjectStillValid(ctx: AppContext, subject: Subject): Promise<boolean> {
  if (subject.kind !== "api_key") return true;
  const row = await keyValidity(ctx.db, { keyId: subject.keyId });
  const now = new Date();
  return row !== null && row.revokedAt === null && (row.expiresAt === null || row.expiresAt > now);
}

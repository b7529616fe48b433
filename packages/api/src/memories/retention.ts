import type { RetentionPolicy } from "@memstore/core";
import { type Executor, queryRows, sql } from "@memstore/db";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit, writeEvent } from "../outbox/outbox.ts";

/**
 * The retention sweep: memories' TTLs and vaults' retention policies applied, a batch at a time —
 * each batch one short transaction over at most BATCH rows, locking only those (`skip locked`: a
 * row an agent is writing waits for the next sweep). Idempotent: a row already moved on is not
 * picked again. Frozen vaults are left alone. Each batch's transitions are audited and announced
 * per vault (`memory.archived`, `memory.expired`), listing the memories.
 */
const BATCH = 2_000;
const SYSTEM = "system:retention";

export type RetentionReport = { archived: number; expired: number; purged: number; vaults: number };

export async function applyRetention(ctx: AppContext, now = new Date()): Promise<RetentionReport> {
  const report: RetentionReport = { archived: 0, expired: 0, purged: 0, vaults: 0 };
  report.expired += await expireByTtl(ctx, now);
  await noteFrozenVaults(ctx);
  for (const vault of await vaultsWithRetention(ctx.db)) {
    report.vaults += 1;
    const walked = await walkVault(ctx, vault, now);
    report.archived += walked.archived;
    report.expired += walked.expired;
    report.archived += await enforceCap(ctx, vault, now);
    report.purged += await purgeExpired(ctx, vault, now);
  }
  return report;
}

type Vault = { id: string; org_id: string; retention: RetentionPolicy };

const vaultsWithRetention = (db: Executor) =>
  queryRows<Vault>(
    db,
    sql`select id, org_id, retention from vaults where retention is not null and frozen_at is null order by id`,
  );

/** A frozen vault with a policy is skipped: its log says so once per hold, not once per sweep. */
async function noteFrozenVaults(ctx: AppContext) {
  const held = await queryRows<{ id: string; org_id: string; frozen_reason: string | null }>(
    ctx.db,
    sql`select v.id, v.org_id, v.frozen_reason from vaults v
        where v.retention is not null and v.frozen_at is not null
          and not exists (select 1 from audit_log a where a.org_id = v.org_id and a.object_id = v.id
                            and a.action = 'retention.skipped_frozen' and a.created_at >= v.frozen_at)`,
  );
  for (const vault of held) {
    await ctx.db.transaction((tx) =>
      recordAudit(tx, {
        orgId: vault.org_id,
        actor: SYSTEM,
        action: "retention.skipped_frozen",
        objectType: "vault",
        objectId: vault.id,
        data: { vault_id: vault.id, frozen_reason: vault.frozen_reason },
      }),
    );
  }
}

const daysAgo = (now: Date, days: number | undefined) =>
  days === undefined ? null : new Date(now.getTime() - days * 86_400_000);

/** Active memories whose TTL ran out, in any unfrozen vault: expired as of their TTL. */
async function expireByTtl(ctx: AppContext, now: Date) {
  let total = 0;
  for (;;) {
    const moved = await inBatch(ctx, "expired", "ttl", (tx) =>
      queryRows<Moved>(
        tx,
        sql`with picked as (
              select m.id from memories m join vaults v on v.id = m.vault_id and v.frozen_at is null
              where m.is_current and m.state = 'active' and m.expires_at is not null and m.expires_at <= ${now}
              order by m.expires_at limit ${BATCH} for update of m skip locked)
            update memories m set state = 'expired', inactive_at = m.expires_at, expired_at = ${now}
            from picked where m.id = picked.id
            returning m.memory_id, m.vault_id, m.org_id`,
      ),
    );
    total += moved;
    if (moved < BATCH) return total;
  }
}

/**
 * One pass over the vault's current memories in id order: active ones unused for the policy's days
 * archived, archived ones kept past its days expired. A memory's last use is its last search hit,
 * else its last write.
 */
async function walkVault(ctx: AppContext, vault: Vault, now: Date) {
  const unusedSince = daysAgo(now, vault.retention.archive_unused_after_days);
  const archivedBefore = daysAgo(now, vault.retention.expire_archived_after_days);
  const counts = { archived: 0, expired: 0 };
  if (!unusedSince && !archivedBefore) return counts;
  let after = "";
  for (;;) {
    const batch = await queryRows<{ id: string }>(
      ctx.db,
      sql`select id from memories where vault_id = ${vault.id} and is_current and id > ${after}
          order by id limit ${BATCH}`,
    );
    if (batch.length === 0) return counts;
    const ids = batch.map((b) => b.id);
    if (unusedSince) counts.archived += await archiveUnused(ctx, vault, ids, unusedSince, now);
    if (archivedBefore) counts.expired += await expireArchived(ctx, vault, ids, archivedBefore, now);
    if (batch.length < BATCH) return counts;
    after = ids.at(-1)!;
  }
}

const archiveUnused = (ctx: AppContext, vault: Vault, ids: string[], since: Date, now: Date) =>
  inBatch(ctx, "archived", "unused", (tx) =>
    queryRows<Moved>(
      tx,
      sql`with picked as (
            select m.id from memories m left join memory_heat h on h.memory_id = m.memory_id
            where m.id = any(${sql.param(ids)}::text[]) and m.is_current and m.state = 'active'
              and coalesce(h.last_accessed_at, m.created_at) < ${since}
            for update of m skip locked)
          update memories m set state = 'archived', inactive_at = ${now}
          from picked where m.id = picked.id and ${notFrozen(vault.id)}
          returning m.memory_id, m.vault_id, m.org_id`,
    ),
  );

const expireArchived = (ctx: AppContext, vault: Vault, ids: string[], before: Date, now: Date) =>
  inBatch(ctx, "expired", "archived", (tx) =>
    queryRows<Moved>(
      tx,
      sql`with picked as (
            select id from memories where id = any(${sql.param(ids)}::text[]) and is_current
              and state = 'archived' and inactive_at < ${before}
            for update skip locked)
          update memories m set state = 'expired', expired_at = ${now}
          from picked where m.id = picked.id and ${notFrozen(vault.id)}
          returning m.memory_id, m.vault_id, m.org_id`,
    ),
  );

/** Over the cap: the least recently used active memories archived until the vault holds the cap. */
async function enforceCap(ctx: AppContext, vault: Vault, now: Date) {
  const cap = vault.retention.max_memories;
  if (cap === undefined) return 0;
  let total = 0;
  for (;;) {
    const moved = await inBatch(ctx, "archived", "cap", (tx) =>
      queryRows<Moved>(
        tx,
        sql`with over as (
              select greatest(count(*) - ${cap}, 0) as n from memories
              where vault_id = ${vault.id} and is_current and state = 'active'),
            picked as (
              select m.id from memories m left join memory_heat h on h.memory_id = m.memory_id
              where m.vault_id = ${vault.id} and m.is_current and m.state = 'active'
              order by coalesce(h.last_accessed_at, m.created_at), m.id
              limit least((select n from over), ${BATCH}) for update of m skip locked)
            update memories m set state = 'archived', inactive_at = ${now}
            from picked where m.id = picked.id and ${notFrozen(vault.id)}
            returning m.memory_id, m.vault_id, m.org_id`,
      ),
    );
    total += moved;
    if (moved < BATCH) return total;
  }
}

/**
 * Expired memories kept past the policy's grace: the text of every version purged (emptied, its
 * embedding dropped), each version keeping the SHA-256 of what it held.
 */
async function purgeExpired(ctx: AppContext, vault: Vault, now: Date) {
  const before = daysAgo(now, vault.retention.purge_expired_after_days);
  if (!before) return 0;
  let total = 0;
  for (;;) {
    const purged = await ctx.db.transaction(async (tx) => {
      const rows = await queryRows<{ memory_id: string }>(
        tx,
        sql`with gone as (
              select memory_id from memories where vault_id = ${vault.id} and is_current and state = 'expired'
                and expired_at < ${before} and purged_at is null
              order by memory_id limit ${BATCH} for update skip locked)
            update memories m set text_sha256 = encode(sha256(convert_to(m.text, 'UTF8')), 'hex'),
              text = '', embedding = null, purged_at = ${now}
            from gone where m.memory_id = gone.memory_id and m.vault_id = ${vault.id} and m.purged_at is null
              and ${notFrozen(vault.id)}
            returning m.memory_id`,
      );
      const memoryIds = [...new Set(rows.map((r) => r.memory_id))];
      if (memoryIds.length > 0) {
        await recordAudit(tx, {
          orgId: vault.org_id,
          actor: SYSTEM,
          action: "memory.purged",
          objectType: "vault",
          objectId: vault.id,
          data: { vault_id: vault.id, memory_ids: memoryIds, count: memoryIds.length },
        });
      }
      return memoryIds.length;
    });
    total += purged;
    if (purged < BATCH) return total;
  }
}

/** The vault is still unfrozen as the batch commits (a freeze in between stops the sweep there). */
const notFrozen = (vaultId: string) =>
  sql`not exists (select 1 from vaults fv where fv.id = ${vaultId} and fv.frozen_at is not null)`;

type Moved = { memory_id: string; vault_id: string; org_id: string };

/**
 * One batch's transaction: the transitions `move` makes, then per vault one audit row and one
 * `memory.archived` / `memory.expired` event naming them. Returns how many moved.
 */
async function inBatch(
  ctx: AppContext,
  to: "archived" | "expired",
  why: "ttl" | "unused" | "archived" | "cap",
  move: (tx: Executor) => Promise<Moved[]>,
) {
  const { moved, eventIds } = await ctx.db.transaction(async (tx) => {
    const rows = await move(tx);
    const eventIds: string[] = [];
    const byVault = new Map<string, Moved[]>();
    for (const r of rows) {
      const list = byVault.get(r.vault_id) ?? [];
      list.push(r);
      byVault.set(r.vault_id, list);
    }
    for (const [vaultId, list] of byVault) {
      const data = {
        vault_id: vaultId,
        reason: why,
        memory_ids: list.map((r) => r.memory_id),
        count: list.length,
      };
      const orgId = list[0]!.org_id;
      await recordAudit(tx, {
        orgId,
        actor: SYSTEM,
        action: `memory.${to}`,
        objectType: "vault",
        objectId: vaultId,
        data,
      });
      eventIds.push(await writeEvent(tx, { type: `memory.${to}`, orgId, vaultId, data }));
    }
    return { moved: rows.length, eventIds };
  });
  await relayEventsAfterCommit(ctx, eventIds);
  return moved;
}

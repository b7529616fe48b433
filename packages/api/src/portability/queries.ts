import type { MarkDensity } from "@memstore/core";
import { type Executor, queryRows, sql } from "@memstore/db";
import { effectiveTermsSql } from "../usage/license-rate.ts";
import { shareCapSql } from "../usage/share-cap.ts";

/**
 * The reads of taking memory out, each `fn(db, { vaultId, … })`: the vault's own memories and
 * the installed text its terms let it export, a page at a time in a stable order (keyset, so an
 * export of any size reads the same rows once each).
 */

export type MemoryVersionRow = {
  memory_id: string;
  version: number;
  is_current: boolean;
  state: string;
  text: string;
  tags: string[];
  metadata: Record<string, unknown>;
  created_at: Date;
};

/** Up to `limit` versions of the vault's own memories after `after` (by memory, then version). */
export function memoryVersionsAfter(
  db: Executor,
  at: { vaultId: string; after: { memory: string; version: number }; limit: number },
) {
  return queryRows<MemoryVersionRow>(
    db,
    sql`select memory_id, version, is_current, state, text, tags, metadata, created_at from memories
        where vault_id = ${at.vaultId} and (memory_id, version) > (${at.after.memory}, ${at.after.version})
        order by memory_id, version limit ${at.limit}`,
  );
}

export type ExportableInstall = {
  install_id: string;
  version_id: string;
  canaries: boolean;
  marks: MarkDensity;
  cube: string;
  version: string;
  publisher: string;
  listing_id: string;
  /** The most distinct chunks the organisation may receive of the listing in 24 hours; null: no cap. */
  share_cap: number | null;
};

/**
 * The vault's activated installs whose terms allow export (`export: true`, the offer's or the
 * listing's) while the organisation's entitlement is usable, by install.
 */
export function exportableInstalls(db: Executor, at: { vaultId: string }) {
  return queryRows<ExportableInstall>(
    db,
    sql`select i.id as install_id, i.version_id, l.canaries, l.marks, c.slug as cube, v.version, o.slug as publisher,
          l.id as listing_id, ${shareCapSql(sql`i.org_id`, sql`l`, sql`v`)} as share_cap
        from installs i join listings l on l.id = i.listing_id
        join cube_versions v on v.id = i.version_id join cubes c on c.id = i.cube_id
        join organizations o on o.id = c.org_id
        where i.vault_id = ${at.vaultId} and i.uninstalled_at is null and i.state = 'activated'
          and coalesce((${effectiveTermsSql(sql`i.org_id`, sql`l`)}->>'export')::boolean, false)
          and exists (select 1 from entitlements e where e.org_id = i.org_id and e.listing_id = l.id
                        and e.revoked_at is null and e.state in ('active', 'trialing', 'past_due')
                        and (e.valid_until is null or e.valid_until > now()))
        order by i.id`,
  );
}

export type ExportChunkRow = {
  id: string;
  position: number;
  text: string;
  heading: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
};

/**
 * Up to `limit` chunks of a version after the position `after`, in reading order; with `received`,
 * only those the organisation received of the listing in the last 24 hours (a share cap's window).
 */
export function chunksAfter(
  db: Executor,
  at: {
    versionId: string;
    after: number;
    limit: number;
    received?: { orgId: string; listingId: string };
  },
) {
  const r = at.received;
  const within = r
    ? sql`and exists (select 1 from share_receipts s where s.org_id = ${r.orgId} and s.listing_id = ${r.listingId}
            and s.chunk_id = ch.id and s.received_at > now() - interval '24 hours')`
    : sql``;
  return queryRows<ExportChunkRow>(
    db,
    sql`select id, position, text, heading, tags, metadata from chunks ch
        where version_id = ${at.versionId} and position > ${at.after} ${within} order by position limit ${at.limit}`,
  );
}

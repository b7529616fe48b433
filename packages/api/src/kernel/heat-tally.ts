import { type Db, sql } from "@memstore/db";

type Tallied = { vaultId: string; n: number; at: Date };

/**
 * How often searches return each memory and each installed section, tallied in this process and
 * written in batches (one upsert per kind every couple of seconds, and on close). A search only
 * notes its hits in a map: heat costs it no statement and no wait. A flush that fails keeps its
 * counts for the next.
 */
export class HeatTally {
  private memories = new Map<string, Tallied>();
  private sections = new Map<string, Tallied & { installId: string; section: string }>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly db: Db,
    private readonly log: (line: string) => void,
    options: { everyMs?: number; enabled?: boolean } = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.timer = this.enabled ? setInterval(() => void this.flush(), options.everyMs ?? 2_000) : null;
    this.timer?.unref();
  }

  private readonly enabled: boolean;

  /** A search's results: each memory and each installed section it returned counts once. */
  note(
    vaultId: string,
    hits: ReadonlyArray<{
      source: "install" | "memory";
      id: string;
      install_id?: string | null;
      heading?: string | null;
    }>,
  ) {
    if (!this.enabled) return;
    const at = new Date();
    for (const hit of hits) {
      if (hit.source === "memory") {
        const t = this.memories.get(hit.id);
        this.memories.set(hit.id, { vaultId, n: (t?.n ?? 0) + 1, at });
      } else if (hit.install_id) {
        const section = hit.heading ?? "";
        const key = `${hit.install_id}\u0000${section}`;
        const t = this.sections.get(key);
        this.sections.set(key, { vaultId, installId: hit.install_id, section, n: (t?.n ?? 0) + 1, at });
      }
    }
  }

  /** Writes what is tallied; concurrent calls queue behind one another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async close() {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async write() {
    const memories = this.memories;
    const sections = this.sections;
    if (memories.size === 0 && sections.size === 0) return;
    this.memories = new Map();
    this.sections = new Map();
    try {
      if (memories.size > 0) await this.db.execute(memoryUpsert(memories));
      if (sections.size > 0) await this.db.execute(sectionUpsert([...sections.values()]));
    } catch (error) {
      this.log(`heat not written yet (kept for the next flush): ${String(error)}`);
      for (const [id, t] of memories)
        this.memories.set(id, { ...t, n: t.n + (this.memories.get(id)?.n ?? 0) });
      for (const [key, t] of sections)
        this.sections.set(key, { ...t, n: t.n + (this.sections.get(key)?.n ?? 0) });
    }
  }
}

const memoryUpsert = (tallied: Map<string, Tallied>) => {
  const rows = [...tallied];
  return sql`insert into memory_heat (memory_id, vault_id, access_count, last_accessed_at)
    select * from unnest(${sql.param(rows.map(([id]) => id))}::text[], ${sql.param(rows.map(([, t]) => t.vaultId))}::text[],
                         ${sql.param(rows.map(([, t]) => t.n))}::bigint[], ${sql.param(rows.map(([, t]) => t.at.toISOString()))}::timestamptz[])
    on conflict (memory_id) do update set access_count = memory_heat.access_count + excluded.access_count,
      last_accessed_at = greatest(memory_heat.last_accessed_at, excluded.last_accessed_at)`;
};

const sectionUpsert = (rows: Array<Tallied & { installId: string; section: string }>) =>
  sql`insert into install_heat (install_id, vault_id, section, hits, last_hit_at)
    select * from unnest(${sql.param(rows.map((r) => r.installId))}::text[], ${sql.param(rows.map((r) => r.vaultId))}::text[],
                         ${sql.param(rows.map((r) => r.section))}::text[], ${sql.param(rows.map((r) => r.n))}::bigint[],
                         ${sql.param(rows.map((r) => r.at.toISOString()))}::timestamptz[])
    on conflict (install_id, section) do update set hits = install_heat.hits + excluded.hits,
      last_hit_at = greatest(install_heat.last_hit_at, excluded.last_hit_at)`;

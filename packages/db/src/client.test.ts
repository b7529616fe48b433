import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, queryRows, sql } from "./client.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("embedded database", () => {
  it("applies the migrations on PGlite with pgvector and HNSW indexes", async () => {
    const database = await openDatabase({ memory: true });
    await database.migrate();
    const ext = await queryRows<{ extname: string }>(database.db, sql`select extname from pg_extension`);
    expect(ext.map((e) => e.extname)).toContain("vector");
    const idx = await queryRows<{ indexname: string }>(
      database.db,
      sql`select indexname from pg_indexes where indexname like '%hnsw'`,
    );
    expect(idx.map((i) => i.indexname)).toContain("chunks_embedding_384_hnsw");
    await database.close();
  });

  it("refuses a second opener of the same data directory while the first holds it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memstore-lock-"));
    dirs.push(dir);
    const first = await openDatabase({ embeddedDir: dir });
    // Same process would be allowed to re-enter; simulate another holder by writing a live foreign pid.
    await first.close();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "memstore.pid"), String(process.ppid));
    await expect(openDatabase({ embeddedDir: dir })).rejects.toMatchObject({ code: "database_locked" });
    writeFileSync(join(dir, "memstore.pid"), "999999999");
    const again = await openDatabase({ embeddedDir: dir });
    await again.close();
  });
});

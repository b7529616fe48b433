import type { AppContext } from "@memstore/api";
import { queryRows, sql } from "@memstore/db";
import { HashEmbedder } from "@memstore/inference";

const ROWS = 5000;
const BATCH = 250;
const GIN = "create index on bench_chunks using gin (tsv)";
const HNSW_BASE = "create index on bench_chunks using hnsw ((embedding::vector(384)) vector_cosine_ops)";
/** HNSW build parameters compared (pgvector's defaults are m = 16, ef_construction = 64). */
const HNSW_VARIANTS = [
  "m = 16, ef_construction = 64",
  "m = 12, ef_construction = 64",
  "m = 16, ef_construction = 40",
  "m = 12, ef_construction = 40",
  "m = 16, ef_construction = 32",
];

/**
 * What storing chunks costs by the indexes on the table: the same 5,000 distinct chunks (with
 * 384-dimension vectors) inserted into copies of `chunks` with no index, the full-text GIN index,
 * the HNSW index, both on one connection and on two (as `embed` inserts), and both written the old
 * way, inserted without vectors and then updated with them (the baseline `embed` replaced).
 */
export async function indexCosts(ctx: AppContext, texts: string[]): Promise<Record<string, number>> {
  // The HNSW index as the schema builds it for chunks (its WITH parameters, if any).
  const [product] = await queryRows<{ indexdef: string }>(
    ctx.db,
    sql`select indexdef from pg_indexes where indexname = 'chunks_embedding_384_hnsw'`,
  );
  const HNSW = `${HNSW_BASE} ${/ WITH \([^)]*\)/.exec(product?.indexdef ?? "")?.[0] ?? ""}`;
  // Distinct texts, as a store holds: an HNSW insert of a vector already in the graph is cheaper.
  const rows = texts.slice(0, ROWS);
  const vectors = (await new HashEmbedder(384).embed(rows)).map((v) => `[${Array.from(v).join(",")}]`);
  const batches = Array.from({ length: Math.ceil(rows.length / BATCH) }, (_, b) => b * BATCH);
  const insert = (start: number, withVectors: boolean) =>
    ctx.db.execute(sql`
      insert into bench_chunks (id, version_id, cube_id, position, text, embedding, embedding_dim)
      select 'bch_' || p, 'ver_bench', 'cub_bench', p, t, case when ${withVectors} then v::vector end, 384
      from jsonb_array_elements_text(${JSON.stringify(rows.slice(start, start + BATCH))}::jsonb)
        with ordinality as t(t, o)
      join jsonb_array_elements_text(${JSON.stringify(vectors.slice(start, start + BATCH))}::jsonb)
        with ordinality as v(v, o) using (o),
      lateral (select ${start}::int + o::int - 1 as p) as positions`);
  const update = (start: number) =>
    ctx.db.execute(sql`
      update bench_chunks set embedding = u.v::vector
      from jsonb_array_elements_text(${JSON.stringify(vectors.slice(start, start + BATCH))}::jsonb)
        with ordinality as u(v, o)
      where bench_chunks.position = ${start}::int + u.o::int - 1`);
  /** Runs the batches on `connections` connections at once; rows per second. */
  const timed = async (connections: number, work: (start: number) => Promise<unknown>) => {
    const queue = [...batches];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (let start = queue.shift(); start !== undefined; start = queue.shift()) await work(start);
      }),
    );
    return rows.length / ((performance.now() - t0) / 1000);
  };
  const table = async (indexes: string[]) => {
    await ctx.db.execute(sql`drop table if exists bench_chunks`);
    await ctx.db.execute(sql`create table bench_chunks (like chunks including defaults including generated)`);
    await ctx.db.execute(sql`create index on bench_chunks (position)`);
    for (const index of indexes) await ctx.db.execute(sql.raw(index));
  };
  const costs: Record<string, number> = {};
  for (const [label, indexes, connections] of [
    ["no index", [], 1],
    ["GIN", [GIN], 1],
    ["HNSW", [HNSW], 1],
    ["GIN+HNSW", [GIN, HNSW], 1],
    ["GIN+HNSW ×2", [GIN, HNSW], 2],
  ] as const) {
    await table([...indexes]);
    costs[label] = await timed(connections, (start) => insert(start, true));
  }
  // The HNSW build parameters: the same rows with both indexes on two connections, as `embed`
  // writes them, by the graph's links per node (m) and candidate list while inserting.
  for (const params of HNSW_VARIANTS) {
    await table([GIN, `${HNSW_BASE} with (${params})`]);
    costs[`GIN+HNSW ×2 ${params.replace(/ /g, "")}`] = await timed(2, (start) => insert(start, true));
  }
  // The old way: rows inserted bare, then each updated with its vector (two writes of every row).
  await table([GIN, HNSW]);
  const t0 = performance.now();
  await timed(1, (start) => insert(start, false));
  await timed(1, update);
  costs["insert+update"] = rows.length / ((performance.now() - t0) / 1000);
  await ctx.db.execute(sql`drop table if exists bench_chunks`);
  return costs;
}

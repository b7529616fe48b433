import { type Executor, queryRows, sql } from "@memstore/db";
import { waitUntil } from "./wait.ts";

/**
 * What a fault test publishes and what it checks afterwards: plaintext versions of known item
 * counts, submitted over HTTP, and — once the fault is over — every one of them in a final state,
 * with exactly one chunk per item, each embedded, and no stage left running.
 */

export type Draft = { cubeId: string; slug: string; items: number };

const itemLines = (n: number, salt: string) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ text: `${salt} fact ${i}: crate ${i % 89} leaves berth ${i % 17} at ${i % 24}:00.` }),
  ).join("\n");

/** A JSON call as `key`; the status, headers and parsed body. */
export async function call(baseUrl: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** A plaintext cube with a 1.0.0 draft holding `items` JSONL items, uploaded but not submitted. */
export async function draft(baseUrl: string, key: string, slug: string, items: number): Promise<Draft> {
  const cube = await call(baseUrl, key, "POST", "/api/v1/cubes", { slug, type: "plaintext", title: slug });
  if (cube.status !== 201) throw new Error(`cube ${slug}: ${JSON.stringify(cube.body)}`);
  await call(baseUrl, key, "POST", `/api/v1/cubes/${cube.body.id}/versions`, { version: "1.0.0" });
  const put = await fetch(`${baseUrl}/api/v1/cubes/${cube.body.id}/versions/1.0.0/payload`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/x-ndjson" },
    body: itemLines(items, slug),
  });
  if (put.status !== 200) throw new Error(`upload ${slug}: ${await put.text()}`);
  return { cubeId: cube.body.id, slug, items };
}

export const submit = (baseUrl: string, key: string, d: Draft) =>
  call(baseUrl, key, "POST", `/api/v1/cubes/${d.cubeId}/versions/1.0.0/submit`);

type Outcome = {
  slug: string;
  status: string;
  chunks: number;
  embedded: number;
  positions: number;
  running: number;
};

/** Each draft's version as the database has it: status, chunks (all, embedded, distinct positions), runs running. */
export async function outcomes(db: Executor, drafts: Draft[]): Promise<Outcome[]> {
  const rows = await queryRows<Outcome & { cube_id: string }>(
    db,
    sql`select v.cube_id, v.status,
          (select count(*)::int from chunks ch where ch.version_id = v.id) as chunks,
          (select count(ch.embedding)::int from chunks ch where ch.version_id = v.id) as embedded,
          (select count(distinct ch.position)::int from chunks ch where ch.version_id = v.id) as positions,
          (select count(*)::int from processing_runs r where r.version_id = v.id and r.status = 'running') as running
        from cube_versions v
        where v.cube_id = any(${sql`array[${sql.join(
          drafts.map((d) => sql`${d.cubeId}`),
          sql`, `,
        )}]::text[]`})`,
  );
  const byCube = new Map(rows.map((r) => [r.cube_id, r]));
  return drafts.map((d) => {
    const row = byCube.get(d.cubeId)!;
    return {
      slug: d.slug,
      status: row.status,
      chunks: row.chunks,
      embedded: row.embedded,
      positions: row.positions,
      running: row.running,
    };
  });
}

/** Waits until every draft's version is ready or rejected (the database may be reconnecting meanwhile). */
export async function allFinal(db: Executor, drafts: Draft[], timeoutMs = 150_000): Promise<Outcome[]> {
  let last = null as Outcome[] | null;
  try {
    return await waitUntil(
      async () => {
        last = (await outcomes(db, drafts).catch(() => null)) ?? last;
        return last?.every((o) => o.status === "ready" || o.status === "rejected") ? last : null;
      },
      timeoutMs,
      "every version ready or rejected",
    );
  } catch (error) {
    // Which versions were left where: the failure says so.
    const left = (last ?? []).filter((o) => o.status !== "ready" && o.status !== "rejected");
    throw new Error(`${(error as Error).message}; left: ${JSON.stringify(left)}`);
  }
}

/** What every version must end as: ready, one embedded chunk per item, no stage left running. */
export const expectedOutcome = (d: Draft): Outcome => ({
  slug: d.slug,
  status: "ready",
  chunks: d.items,
  embedded: d.items,
  positions: d.items,
  running: 0,
});

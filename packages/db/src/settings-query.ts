import { type SQL, sql } from "drizzle-orm";
import pg from "pg";
import { type Db, queryRows } from "./client.ts";

type Dialect = {
  casing: unknown;
  escapeName(name: string): string;
  escapeString(value: string): string;
  prepareTyping?: unknown;
};

/**
 * Rows of `query` with planner or index settings in force for it alone (`set_config(…, true)`:
 * gone when its transaction ends), e.g. a vector search forced onto its HNSW index.
 *
 * On node-postgres this is one round trip instead of four (BEGIN, settings, statement, COMMIT):
 * the settings and the statement go as one simple-protocol message, which Postgres runs as one
 * implicit transaction, planning the statement after the settings are applied. The statement's
 * values are written into its text as literals, typed from their context as bound values are, so
 * it is planned with them as an unnamed statement would be. bench/search at 1M chunks: see the
 * README's search figures. On PGlite (in process, no round trips) it is a transaction.
 */
export async function queryRowsWithSettings<T>(
  db: Db,
  settings: Record<string, string>,
  query: SQL,
): Promise<T[]> {
  const client = (db as unknown as { $client: unknown }).$client;
  if (!(client instanceof pg.Pool)) {
    return db.transaction(async (tx) => {
      await tx.execute(setLocal(settings));
      return queryRows<T>(tx, query);
    });
  }
  const text = `${inlined(db, setLocal(settings))}; ${inlined(db, query)}`;
  const results = (await client.query({ text, types: RAW_DATES })) as unknown as pg.QueryResult[];
  return results[results.length - 1]!.rows as T[];
}

/** A statement applying `settings` until the end of the transaction it runs in. */
export function setLocal(settings: Record<string, string>): SQL {
  const calls = Object.entries(settings).map(([name, value]) => sql`set_config(${name}, ${value}, true)`);
  return sql`select ${sql.join(calls, sql`, `)}`;
}

/** The statement's text with each bound value written in as a literal. */
function inlined(db: Db, query: SQL): string {
  const dialect = (db as unknown as { dialect: Dialect }).dialect;
  return query.toQuery({
    casing: dialect.casing as never,
    escapeName: dialect.escapeName.bind(dialect),
    escapeString: dialect.escapeString.bind(dialect),
    escapeParam: (_index: number, value: unknown) => literal(value),
    prepareTyping: dialect.prepareTyping as never,
  }).sql;
}

/**
 * A bound value as the literal Postgres would have received: quoted (an unknown-typed constant, as
 * an untyped parameter is), backslashes escaped whatever standard_conforming_strings says.
 */
function literal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" && Number.isFinite(value)) return pg.escapeLiteral(String(value));
  if (typeof value === "boolean") return value ? "'true'" : "'false'";
  if (typeof value === "string") {
    if (value.includes("\0")) throw new TypeError("a NUL character cannot be written into a statement");
    return pg.escapeLiteral(value);
  }
  throw new TypeError(`a ${typeof value} cannot be written into a statement as a literal`);
}

/** Dates, times and intervals as text, as drizzle's node-postgres driver returns them (its own list). */
const DATE_TYPES = new Set([1082, 1114, 1184, 1186, 1231, 1115, 1182, 1185, 1187]);
const RAW_DATES = {
  getTypeParser: (typeId: number, format?: "text" | "binary"): ((value: string) => unknown) =>
    DATE_TYPES.has(typeId)
      ? (value: string) => value
      : (pg.types.getTypeParser(typeId, format) as (value: string) => unknown),
};

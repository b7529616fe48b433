import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { AppError } from "@memstore/core";
import { type SQL, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { releaseFailedTransactions } from "./pg-transactions.ts";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
/** Both drivers (node-postgres, PGlite) behind one type: services never know which one runs. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

export type Database = {
  db: Db;
  kind: "postgres" | "pglite";
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
};

export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

export type DatabaseOptions =
  /** `application`: the role this process plays, which its sessions name (`<application>-<pid>`). */
  { url: string; application?: string } | { embeddedDir: string } | { memory: true };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ("url" in options) return openPostgres(options.url, options.application ?? "memstore");
  return openPglite("embeddedDir" in options ? options.embeddedDir : null);
}

/**
 * Every session starts with these HNSW search settings, so a vector search needs no transaction
 * to set them (bench/search: each round trip saved is about a millisecond). ef_search 100 serves
 * the memories' and listings' indexes; iterative scans keep a filtered scan going until enough rows
 * pass the filter (pgvector ≥ 0.8). The chunk side of a large vault's search sets its own for its
 * statement (200 once the index holds over 100k chunks, for recall@10 0.98 at 1M: `efSearchFor`).
 */
export const SESSION_EF_SEARCH = 100;
const SESSION_SETTINGS: Record<string, string> = {
  "hnsw.ef_search": String(SESSION_EF_SEARCH),
  "hnsw.iterative_scan": "relaxed_order",
  // Every statement here is a short OLTP query: JIT compilation (triggered by cost estimates, such
  // as a vector search forced onto its index with sorting disabled) spent 300 ms to save none.
  jit: "off",
};

function openPostgres(url: string, application: string): Database {
  // Options already in the URL (`?options=…`) are kept; ours come after them.
  const options = [
    URL.canParse(url) ? new URL(url).searchParams.get("options") : null,
    ...Object.entries(SESSION_SETTINGS).map(([name, value]) => `-c ${name}=${value}`),
  ]
    .filter(Boolean)
    .join(" ");
  // A server that does not answer fails a query (503 dependency_down) instead of hanging it; the
  // bound also covers waiting for a free connection, so it is long enough for a burst to queue.
  // Each process's sessions carry its role and pid: the pipeline tells other processes' work from its own.
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    options,
    connectionTimeoutMillis: 30_000,
    application_name: `${application}-${process.pid}`.slice(0, 63),
  });
  // An idle connection the server drops (restart, failover, admin command) is replaced on the next
  // query; without a listener the pool's "error" event would end the process.
  pool.on("error", (err) => console.error(`postgres: idle connection lost (${err.message})`));
  // A connection lost while checked out fails its query; its own "error" event (the server shutting
  // down between queries of a transaction) must not end the process either.
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = drizzlePg({ client: pool, schema });
  releaseFailedTransactions(db as unknown as { session: unknown }, pool);
  return {
    db: db,
    kind: "postgres",
    migrate: () => migratePg(db, { migrationsFolder: MIGRATIONS_DIR }),
    ping: async () => {
      await pool.query("select 1");
    },
    close: () => endPool(pool),
  };
}

/**
 * `pool.end()` resolves once every client is asked to close, not once the connections are closed;
 * waiting for each client's "remove" means nothing is left talking to the server (a database
 * dropped right after closing would otherwise kill a connection still saying goodbye).
 */
async function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on("remove", () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

async function openPglite(dir: string | null): Promise<Database> {
  let release = () => {};
  if (dir !== null) {
    mkdirSync(dir, { recursive: true });
    release = lockEmbedded(dir);
  }
  try {
    const client = await PGlite.create(dir ?? undefined, { extensions: { vector } });
    // One session for the life of the process: the settings are set once.
    for (const [name, value] of Object.entries(SESSION_SETTINGS)) {
      await client.query("select set_config($1, $2, false)", [name, value]);
    }
    const db = drizzlePglite({ client, schema });
    return {
      db: db as unknown as Db,
      kind: "pglite",
      migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_DIR }),
      ping: async () => {
        await client.query("select 1");
      },
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * The embedded database belongs to one process. A pid file marks the holder; another process
 * refuses plainly instead of opening (and corrupting) it. A file left by a dead process is taken over.
 */
function lockEmbedded(dir: string): () => void {
  const file = join(dir, "memstore.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new AppError(
          "database_locked",
          `The embedded database in ${dir} is in use by another MemStore process (pid ${holder}, e.g. a running 'memstore dev'). Stop it first, or set DATABASE_URL to use a Postgres server.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new AppError("database_locked", `Could not lock the embedded database in ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Raw SQL rows on either driver (both results carry `rows`). */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  // Executor is either driver's database; both results carry `rows`, which their types name apart.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- T is the caller's row type
  const { rows } = (await db.execute(query)) as unknown as { rows: T[] };
  return rows;
}

type Compiled = { sql: string; params: unknown[] };
type Internals = {
  dialect: { sqlToQuery(query: SQL): Compiled };
  session: {
    prepareQuery(
      query: Compiled,
      fields: undefined,
      name: string,
      arrayMode: boolean,
    ): {
      execute(): Promise<{ rows: unknown[] }>;
    };
  };
};

/** Statement names by text: hashing a search's few kilobytes of SQL on every call showed in profiles. */
const statementNames = new Map<string, string>();

/**
 * `queryRows` as a named prepared statement, its name taken from its text: each connection plans it
 * once, and Postgres may then keep a generic plan. For the statements a request runs every time whose
 * planning costs more than their execution (a search's admission: bench/search measured 4–10 ms of
 * planning for 1 ms of work). Through drizzle's own prepared-query path (what `.prepare(name)` uses).
 */
export async function queryRowsPrepared<T>(db: Executor, query: SQL): Promise<T[]> {
  const internals = db as unknown as Internals;
  const compiled = internals.dialect.sqlToQuery(query);
  let name = statementNames.get(compiled.sql);
  if (!name) {
    name = `q${createHash("sha1").update(compiled.sql).digest("hex").slice(0, 24)}`;
    // The texts are a few shapes per statement; the bound only guards against a runaway.
    if (statementNames.size >= 1000) statementNames.clear();
    statementNames.set(compiled.sql, name);
  }
  const result = await internals.session.prepareQuery(compiled, undefined, name, false).execute();
  return result.rows as T[];
}

export function embeddedDataExists(dir: string): boolean {
  return existsSync(join(dir, "PG_VERSION"));
}

export { sql };

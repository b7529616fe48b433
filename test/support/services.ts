import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";

/** The real services the suites talk to; CI's .ci/run makes sure they are up. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export type TestDatabase = { url: string; drop(): Promise<void> };

/** A fresh Postgres database per test file, so files run in parallel without sharing rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `memstore_t_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const uniquePrefix = () => `memstore-test-${randomBytes(4).toString("hex")}`;

/**
 * What a services-mode process (serve, worker, or a runtime in the test) is started with: `database`,
 * Redis (the tests' own, unless given) under a queue prefix of its own, and blobs and data in `dataDir`.
 */
export function servicesEnv(
  database: TestDatabase,
  dataDir: string,
  redisUrl = REDIS_URL,
): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: uniquePrefix(),
    STORAGE_URL: `file://${join(dataDir, "blobs")}`,
    MEMSTORE_DATA_DIR: dataDir,
  };
}

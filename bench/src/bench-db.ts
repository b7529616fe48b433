import pg from "pg";

/** `--name value` pairs of a bench's command line. */
export function benchArgs(): Record<string, string> {
  return Object.fromEntries(
    process.argv
      .slice(2)
      .flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
  );
}

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A new, empty database on the tests' Postgres (`BENCH_POSTGRES_URL`); its URL. */
export async function freshDatabase(name: string): Promise<URL> {
  return (await benchDatabase(ADMIN_URL, name, false)).url;
}

/** A benchmark's own database: made afresh, or kept from an earlier run when `reuse` and it exists. */
export async function benchDatabase(adminUrl: string, name: string, reuse: boolean) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = (await admin.query("select 1 from pg_database where datname = $1", [name])).rowCount === 1;
  const load = !(reuse && exists);
  if (load) {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  }
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url, load };
}

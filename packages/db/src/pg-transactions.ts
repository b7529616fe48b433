import { sql } from "drizzle-orm";
import { NodePgSession, NodePgTransaction } from "drizzle-orm/node-postgres/session";
import type { PgTransactionConfig } from "drizzle-orm/pg-core";
import type pg from "pg";

type Session = {
  dialect: ConstructorParameters<typeof NodePgSession>[1];
  schema: ConstructorParameters<typeof NodePgSession>[2];
  options: ConstructorParameters<typeof NodePgSession>[3];
  transaction: (
    work: (tx: NodePgTransaction<never, never>) => Promise<unknown>,
    config?: PgTransactionConfig,
  ) => Promise<unknown>;
};

/** drizzle's own writer of `isolation level …` (protected on the transaction's type). */
type ConfigSql = { getTransactionConfigSQL(config: PgTransactionConfig): ReturnType<typeof sql> };

/**
 * drizzle's node-postgres transaction (0.45) sends BEGIN before its try/finally: when BEGIN fails —
 * the pooled connection is one the server dropped (a restart, a failover, an outage) — the client
 * is never released, and the pool loses that connection for good; after ten, every query waits for
 * one that never comes and closing the pool hangs. This gives the database's session the same
 * transaction with BEGIN inside, and a client whose BEGIN, COMMIT or ROLLBACK failed released with
 * that error, so the pool discards it instead of handing it out again.
 */
export function releaseFailedTransactions(db: { session: unknown }, pool: pg.Pool): void {
  const session = db.session as Session;
  session.transaction = async (work, config) => {
    const client = await pool.connect();
    const tx = new NodePgTransaction(
      session.dialect,
      new NodePgSession(client, session.dialect, session.schema, session.options),
      session.schema,
    );
    let broken: Error | undefined;
    const step = async (statement: ReturnType<typeof sql>) => {
      try {
        await tx.execute(statement);
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    };
    try {
      await step(
        sql`begin${config ? sql` ${(tx as unknown as ConfigSql).getTransactionConfigSQL(config)}` : undefined}`,
      );
      let result: unknown;
      try {
        result = await work(tx as NodePgTransaction<never, never>);
      } catch (error) {
        await step(sql`rollback`).catch(() => {});
        throw error;
      }
      await step(sql`commit`);
      return result;
    } finally {
      client.release(broken);
    }
  };
}

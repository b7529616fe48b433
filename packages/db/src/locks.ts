import { sql } from "drizzle-orm";
import type { Executor } from "./client.ts";

/**
 * Holds a lock named `key` until the transaction ends: another transaction asking for the same key
 * waits here, so work on one thing (an organisation's audit chain, a buyer's checkout of a listing,
 * one Stripe object's events) runs one at a time across every process.
 */
export async function lockUntilCommit(tx: Executor, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

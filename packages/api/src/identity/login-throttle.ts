/**
 * Slows down password guessing: after FREE_ATTEMPTS failures for one account, each further attempt
 * must wait a lockout that doubles with every failure (capped), whatever the password. A success
 * clears the count; failures older than WINDOW_MS are forgotten.
 */
const FREE_ATTEMPTS = 5;
const BASE_LOCK_MS = 2_000;
const MAX_LOCK_MS = 5 * 60_000;
const WINDOW_MS = 15 * 60_000;

type Entry = { failures: number; lastFailure: number };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds this account must still wait before another attempt is even checked. */
  waitMs(account: string): number {
    const entry = this.current(account);
    if (!entry || entry.failures < FREE_ATTEMPTS) return 0;
    const lock = Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (entry.failures - FREE_ATTEMPTS));
    return Math.max(0, entry.lastFailure + lock - this.now());
  }

  failed(account: string): void {
    const entry = this.current(account);
    this.entries.set(account, { failures: (entry?.failures ?? 0) + 1, lastFailure: this.now() });
  }

  succeeded(account: string): void {
    this.entries.delete(account);
  }

  private current(account: string): Entry | undefined {
    const entry = this.entries.get(account);
    if (entry && this.now() - entry.lastFailure > WINDOW_MS) {
      this.entries.delete(account);
      return undefined;
    }
    return entry;
  }
}

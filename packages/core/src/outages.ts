/**
 * Whether an error is a dependency's outage — the database, Redis, storage or the payment provider
 * unreachable, shutting down or out of connections — rather than something about the request. Such a failure answers
 * 503 `dependency_down` with a Retry-After, not 500 `internal`: the same request will work again.
 */

/** Node's codes for a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

/**
 * Postgres SQLSTATEs of an unavailable server: connection exceptions (class 08), too many
 * connections, and the server shutting down, crashed or not yet accepting connections.
 */
const UNAVAILABLE_SQLSTATE = /^(08\w{3}|53300|57P0[123])$/;

/** What drivers say when the connection went away under them (they give no code). */
const LOST_CONNECTION = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /PGlite is closed/i,
  /connection is closed/i,
  /enableOfflineQueue options is false/i,
  /MaxRetriesPerRequestError|reached the max retries per request/i,
  /Redis did not answer within/i,
];

/**
 * The payment provider's SDK (Stripe) out of reach or failing on its side: it could not connect or
 * timed out (`StripeConnectionError`), Stripe answered 5xx, or it is limiting the rate. Known by the
 * SDK's own `type` field, so this package needs no Stripe import.
 */
function isProviderOutage(e: Error): boolean {
  const type = "type" in e && typeof e.type === "string" ? e.type : "";
  if (!type.startsWith("Stripe")) return false;
  const status = "statusCode" in e && typeof e.statusCode === "number" ? e.statusCode : 0;
  return type === "StripeConnectionError" || type === "StripeRateLimitError" || status >= 500;
}

export function isOutage(error: unknown): boolean {
  // Drivers and ORMs wrap: the cause (or an aggregate's errors) may hold the connection's failure.
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 16) {
    const e = pending.pop();
    if (!(e instanceof Error) || seen.has(e)) continue;
    seen.add(e);
    const code = "code" in e && typeof e.code === "string" ? e.code : "";
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code) || isProviderOutage(e)) return true;
    if (LOST_CONNECTION.some((pattern) => pattern.test(e.message))) return true;
    pending.push(e.cause);
    if (e instanceof AggregateError) pending.push(...(e.errors as unknown[]));
  }
  return false;
}

/** How long a client is asked to wait before trying again after an outage, in seconds. */
export const OUTAGE_RETRY_AFTER_S = 5;

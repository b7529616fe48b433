import {
  AppError,
  describeError,
  type ErrorCode,
  isOutage,
  OUTAGE_RETRY_AFTER_S,
  statusOf,
} from "@memstore/core";
import { z } from "zod";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** RFC 9457 problem details with MemStore's `code`. */
export function problem(
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const status = statusOf(code);
  return new Response(
    JSON.stringify({
      type: `urn:memstore:problem:${code}`,
      title: TITLES[status] ?? "Error",
      status,
      detail,
      code,
      ...extra,
    }),
    { status, headers: { "content-type": "application/problem+json", ...headers } },
  );
}

/** Any thrown value → a problem response. Unknown errors are logged, never shown. */
export function problemFrom(error: unknown, log: (line: string) => void): Response {
  if (error instanceof AppError) {
    // A 503 always says when to come back; a 429 says so when its limit knows.
    const retryAfter =
      error.extra?.retry_after ?? (statusOf(error.code) === 503 ? OUTAGE_RETRY_AFTER_S : undefined);
    return problem(
      error.code,
      error.message,
      error.extra ?? {},
      typeof retryAfter === "number" ? { "retry-after": String(retryAfter) } : {},
    );
  }
  if (isOutage(error)) {
    log(`dependency down: ${describeError(error)}`);
    return problem(
      "dependency_down",
      "a service MemStore depends on is unavailable; try again shortly",
      {},
      { "retry-after": String(OUTAGE_RETRY_AFTER_S) },
    );
  }
  if (error instanceof z.ZodError) {
    return problem("invalid_input", describeZodError(error), {
      errors: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  log(`unhandled error: ${describeError(error, { stack: true })}`);
  return problem("internal", "an unexpected error occurred; it has been logged");
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

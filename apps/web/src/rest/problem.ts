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
): Response & { readonly sent?: never } {
  // (`sent`: a problem carries no success value; see JsonResponse in route.ts.)
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

/** What a refusal says, whatever the transport: its code, a readable detail, and when to retry. */
export type Problem = {
  code: ErrorCode;
  detail: string;
  extra: Record<string, unknown>;
  retryAfter?: number;
};

/**
 * Any thrown value as a problem: an AppError as it says, an outage as 503, bad input as 400, and
 * anything else logged and described only as internal — a database's statement never reaches a
 * client. REST answers it as problem+json, MCP as a tool error.
 */
export function problemOf(error: unknown, log: (line: string) => void): Problem {
  if (error instanceof AppError) {
    // A 503 always says when to come back; a 429 says so when its limit knows.
    const retryAfter =
      error.extra?.retry_after ?? (statusOf(error.code) === 503 ? OUTAGE_RETRY_AFTER_S : undefined);
    return {
      code: error.code,
      detail: error.message,
      extra: error.extra ?? {},
      ...(typeof retryAfter === "number" && { retryAfter }),
    };
  }
  if (isOutage(error)) {
    log(`dependency down: ${describeError(error)}`);
    return {
      code: "dependency_down",
      detail: "a service MemStore depends on is unavailable; try again shortly",
      extra: {},
      retryAfter: OUTAGE_RETRY_AFTER_S,
    };
  }
  if (error instanceof z.ZodError) {
    return {
      code: "invalid_input",
      detail: describeZodError(error),
      extra: { errors: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
    };
  }
  log(`unhandled error: ${describeError(error, { stack: true })}`);
  return { code: "internal", detail: "an unexpected error occurred; it has been logged", extra: {} };
}

/** Any thrown value → a problem response. Unknown errors are logged, never shown. */
export function problemFrom(error: unknown, log: (line: string) => void): Response {
  const { code, detail, extra, retryAfter } = problemOf(error, log);
  return problem(code, detail, extra, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

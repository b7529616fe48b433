import { TRPCClientError } from "@trpc/client";
import { readableMessage } from "./readable";

type ErrorData = {
  appCode?: string | null;
  fields?: Record<string, string[] | undefined> | null;
  httpStatus?: number;
};

/** A failed call as a person reads it: the service's message, never a stack trace. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as ErrorData | undefined;
    if (data?.httpStatus === 401) return "Your session has ended. Sign in again.";
    if (data?.fields && Object.keys(data.fields).length) return "Some fields need attention.";
    return error.message;
  }
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}

/** Per-field messages from a failed call (the same zod schema ran on the server). */
export function fieldErrors(error: unknown): Record<string, string | undefined> {
  if (!(error instanceof TRPCClientError)) return {};
  const fields = (error.data as ErrorData | undefined)?.fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v?.[0] && readableMessage(v[0])]));
}

export function statusOf(error: unknown): number | null {
  return error instanceof TRPCClientError
    ? ((error.data as ErrorData | undefined)?.httpStatus ?? null)
    : null;
}

import { useState } from "react";
import type { z } from "zod";
import { fieldErrors } from "./errors";
import { readableMessage } from "./readable";

/** Validates form values with a shared schema; returns the parsed value or one message per field. */
export function validate<S extends z.ZodType>(
  schema: S,
  values: unknown,
): { ok: true; value: z.infer<S> } | { ok: false; errors: Record<string, string | undefined> } {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, value: result.data };
  const errors: Record<string, string | undefined> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join(".") || "_";
    errors[key] ??= readableMessage(issue.message);
  }
  return { ok: false, errors };
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries(
    [...new FormData(form).entries()].map(([k, v]) => [k, typeof v === "string" ? v : v.name]),
  );
}

export const splitTags = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * The submit path every form shares: validate with the API's schema (errors shown per field),
 * run the call, and show the server's per-field errors if it refuses. Resolves to the call's
 * result, or undefined when nothing was done.
 */
export function useSchemaForm<S extends z.ZodType>(schema: S) {
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  async function submit<R>(values: unknown, call: (value: z.infer<S>) => Promise<R>): Promise<R | undefined> {
    const checked = validate(schema, values);
    if (!checked.ok) {
      setErrors(checked.errors);
      return undefined;
    }
    setErrors({});
    try {
      return await call(checked.value);
    } catch (error) {
      setErrors(fieldErrors(error));
      return undefined;
    }
  }
  return { errors, setErrors, submit };
}

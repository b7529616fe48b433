import { z } from "zod";
import { jsonDeeperThan, jsonValueProblem, MAX_JSON_DEPTH } from "./json-input.ts";

/** One line of a plaintext JSONL payload. */
export const memoryItemSchema = z
  .object({
    text: z.string().trim().min(1, "text must not be empty"),
    tags: z.array(z.string().min(1).max(64)).max(64).default([]),
    metadata: z.record(z.string(), z.unknown()).default({}),
    valid_from: z.iso.datetime({ offset: true }).optional(),
    valid_until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((item) => !item.valid_from || !item.valid_until || item.valid_from <= item.valid_until, {
    message: "valid_from must not be after valid_until",
  });

export type MemoryItem = z.infer<typeof memoryItemSchema>;

export type ItemParseResult = { ok: true; item: MemoryItem } | { ok: false; message: string };

/**
 * Parses one JSONL line; the caller knows the line number and puts it in the report. A line the
 * database could not store — a NUL or a lone surrogate in a string or key, nesting past
 * MAX_JSON_DEPTH — is refused here, where the line is known, not by a later stage's insert.
 */
export function parseMemoryItemLine(line: string): ItemParseResult {
  if (jsonDeeperThan(line)) return { ok: false, message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, message: `invalid JSON: ${(error as Error).message}` };
  }
  const unstorable = jsonValueProblem(value);
  if (unstorable) {
    const where = unstorable.path ? `${unstorable.path}: ` : "";
    return { ok: false, message: `${where}${unstorable.message}` };
  }
  const parsed = memoryItemSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, message: `${where}${issue.message}` };
  }
  return { ok: true, item: parsed.data };
}

/** A memory's states: `active` (searched), `archived` (kept, not searched), `expired` (its text purged after a grace period), `merged` (folded into another). */
export const MEMORY_STATES = ["active", "archived", "expired", "merged"] as const;
export type MemoryState = (typeof MEMORY_STATES)[number];

/** A vault's retention: each rule applies when set (days are whole days; the cap counts active memories). */
export type RetentionPolicy = {
  archive_unused_after_days?: number;
  expire_archived_after_days?: number;
  purge_expired_after_days?: number;
  max_memories?: number;
};

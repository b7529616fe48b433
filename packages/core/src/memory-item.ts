import { z } from "zod";

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

/** Parses one JSONL line; the caller knows the line number and puts it in the report. */
export function parseMemoryItemLine(line: string): ItemParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, message: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = memoryItemSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, message: `${where}${issue.message}` };
  }
  return { ok: true, item: parsed.data };
}

import { AppError, type MemoryItem, memoryItemSchema, slugSchema, type Subject } from "@memstore/core";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { versionView } from "../kernel/views.ts";
import { importItems } from "./memos.ts";

export const importMem0Query = z
  .object({
    slug: slugSchema.default("mem0-memories"),
    title: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

type Mem0Memory = {
  id?: unknown;
  memory?: unknown;
  metadata?: unknown;
  categories?: unknown;
  user_id?: unknown;
  agent_id?: unknown;
  run_id?: unknown;
  created_at?: unknown;
  updated_at?: unknown;
};

/**
 * A Mem0 export — `get_all`'s `{ results: [...] }` or a bare list of memories, each `{ id, memory,
 * metadata, categories?, user_id?, agent_id?, run_id?, created_at, updated_at }` — as memory items:
 * the memory's text, its categories as tags, the rest under `metadata.mem0`.
 */
export function readMem0(value: unknown): {
  items: MemoryItem[];
  skipped: Array<{ id: string; reason: string }>;
} {
  const list = Array.isArray(value) ? value : (value as { results?: unknown })?.results;
  if (!Array.isArray(list))
    throw new AppError("invalid_input", "a Mem0 export is a list of memories, or { results: [...] }");
  const items: MemoryItem[] = [];
  const skipped: Array<{ id: string; reason: string }> = [];
  for (const raw of list as Mem0Memory[]) {
    const id = typeof raw?.id === "string" ? raw.id : "(no id)";
    const tags = Array.isArray(raw?.categories)
      ? raw.categories.filter((t): t is string => typeof t === "string" && t.length > 0 && t.length <= 64)
      : [];
    const { memory, metadata, categories: _c, ...rest } = raw ?? {};
    const parsed = memoryItemSchema.safeParse({
      text: memory,
      tags,
      metadata: { mem0: { ...rest, ...(metadata && typeof metadata === "object" ? { metadata } : {}) } },
    });
    if (parsed.success) items.push(parsed.data);
    else skipped.push({ id, reason: parsed.error.issues[0]!.message });
  }
  return { items, skipped };
}

/** Imports a Mem0 export (JSON) as a draft version of a plaintext cube. */
export async function importMem0(
  ctx: AppContext,
  subject: Subject,
  value: unknown,
  query: z.infer<typeof importMem0Query>,
) {
  authorize(subject, "cube.write");
  const { items, skipped } = readMem0(value);
  if (items.length === 0) throw new AppError("invalid_input", "the Mem0 export holds no memory to import");
  const { cube, row } = await importItems(ctx, subject, items, {
    slug: query.slug,
    title: query.title,
    origin: "mem0",
    source: "a Mem0 memory export",
  });
  return { cube_id: cube.id, version: versionView(row), items: items.length, skipped };
}

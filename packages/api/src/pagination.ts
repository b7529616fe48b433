import { AppError } from "@memstore/core";
import { z } from "zod";

/** `?limit=&cursor=` → `{ items, next_cursor }`. Cursors are opaque offsets. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;
export type Page<T> = { items: T[]; next_cursor: string | null };

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const offset = Number(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!Number.isInteger(offset) || offset < 0) throw new AppError("invalid_input", "cursor is not valid");
  return offset;
}

/** Given `limit + 1` rows fetched from `offset`, returns the page and the next cursor. */
export function toPage<T>(rows: T[], page: PageQuery): Page<T> {
  const offset = decodeCursor(page.cursor);
  const more = rows.length > page.limit;
  return {
    items: more ? rows.slice(0, page.limit) : rows,
    next_cursor: more ? Buffer.from(String(offset + page.limit)).toString("base64url") : null,
  };
}

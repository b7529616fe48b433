import { AppError } from "@memstore/core";
import type { PgSelect } from "drizzle-orm/pg-core";
import { z } from "zod";

/** `?limit=&cursor=` → `{ items, next_cursor }`. Cursors are opaque offsets. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;
export type Page<T> = { items: T[]; next_cursor: string | null };

/** The furthest a list pages (a cursor is an offset): beyond any list a person or an agent pages through. */
const MAX_OFFSET = 10_000_000;

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const offset = /^\d{1,8}$/.test(text) ? Number(text) : NaN;
  if (!(offset <= MAX_OFFSET)) {
    throw new AppError("invalid_input", "cursor is not valid: pass the next_cursor of a previous page", {
      errors: [{ path: "cursor", message: "not a cursor this API handed out" }],
    });
  }
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

/**
 * The rows of one page of an organisation's list: the query, ordered with a tie-breaker and made
 * dynamic (`.$dynamic()`), read `limit + 1` rows from the cursor's offset; `toPage` then cuts the
 * page and says whether there is a next one.
 */
export function readPage<Q extends PgSelect>(query: Q, page: PageQuery) {
  return query.limit(page.limit + 1).offset(decodeCursor(page.cursor));
}

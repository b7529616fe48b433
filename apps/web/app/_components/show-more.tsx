"use client";

/** Lists page with `{ items, next_cursor }`: the options every paged query uses, and its items. */
export const PAGED = {
  getNextPageParam: (page: { next_cursor: string | null }) => page.next_cursor ?? undefined,
};

export function itemsOf<T>(data: { pages: Array<{ items: T[] }> } | undefined): T[] {
  return data?.pages.flatMap((p) => p.items) ?? [];
}

export type PagedList = {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
};

/** "Show more" under a paged list, while the server has more. */
export function ShowMore({ list, what }: { list: PagedList; what: string }) {
  if (!list.hasNextPage) return null;
  return (
    <div className="row" style={{ justifyContent: "center", marginTop: "1rem" }}>
      <button
        className="btn"
        type="button"
        onClick={() => void list.fetchNextPage()}
        disabled={list.isFetchingNextPage}
        aria-label={`Show more ${what}`}
      >
        {list.isFetchingNextPage ? "Loading…" : "Show more"}
      </button>
    </div>
  );
}

"use client";
import type { ReactNode } from "react";
import { Loading } from "./feedback";
import { itemsOf, type PagedList, ShowMore } from "./show-more";

/** A column: its header and what each row shows in it. */
export type Column<T> = { header: ReactNode; cell: (row: T) => ReactNode; className?: string };

type PagedQuery<T> = PagedList & {
  isPending: boolean;
  data: { pages: Array<{ items: T[] }> } | undefined;
};

/**
 * A paged list as a table: "Loading…" first, the empty state (which says what to do next) when
 * there is nothing, else the rows with "Show more" while the server has more. Every list of the
 * portal is one of these, so they all page, scroll sideways on a phone and read the same.
 */
export function DataTable<T>(props: {
  list: PagedQuery<T>;
  columns: Array<Column<T> | false>;
  rowKey: (row: T) => string | number;
  /** Plural noun for "Loading …" and "Show more …". */
  what: string;
  empty: ReactNode;
  label?: string;
}) {
  const rows = itemsOf(props.list.data);
  const columns = props.columns.filter((c): c is Column<T> => c !== false);
  if (props.list.isPending) return <Loading what={props.what} />;
  if (rows.length === 0) return <>{props.empty}</>;
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label={props.label}>
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th key={i} scope="col">
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {columns.map((c, i) => (
                  <td key={i} className={c.className}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ShowMore list={props.list} what={props.what} />
    </>
  );
}

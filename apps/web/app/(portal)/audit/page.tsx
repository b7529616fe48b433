"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { DataTable } from "../../_components/data-table";
import { Empty, ErrorBox, formatDate } from "../../_components/feedback";
import { formValues } from "../../_lib/form";
import { PAGED } from "../../_components/show-more";
import { useTRPC } from "../../_lib/trpc";

type Filter = { action?: string; actor?: string; object_type?: string; from?: string; to?: string };

export default function AuditPage() {
  const trpc = useTRPC();
  const [filter, setFilter] = useState<Filter>({});
  const rows = useInfiniteQuery(trpc.audit.list.infiniteQueryOptions({ ...filter, limit: 50 }, PAGED));
  const chain = useQuery(trpc.audit.verify.queryOptions());
  const query = new URLSearchParams(
    Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );

  function onFilter(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    setFilter(Object.fromEntries(Object.entries(v).filter(([, x]) => x)));
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p>Every change in your organisation, hash-chained so any edit to history shows.</p>
        </div>
        <div className="row">
          {chain.data &&
            (chain.data.ok ? (
              <span className="badge ok" data-testid="chain-status">
                Chain verified · {chain.data.rows} rows
              </span>
            ) : (
              <span className="badge bad" data-testid="chain-status">
                Chain broken at row {chain.data.brokenAt}: {chain.data.reason}
              </span>
            ))}
          <a className="btn small" href={`/api/portal/audit/export?format=csv&${query}`}>
            Export CSV
          </a>
          <a className="btn small" href={`/api/portal/audit/export?format=jsonl&${query}`}>
            Export JSONL
          </a>
        </div>
      </div>
      <form
        className="card row"
        onSubmit={onFilter}
        style={{ marginBottom: "1rem" }}
        aria-label="Filter the audit log"
      >
        <label className="field" style={{ flex: "1 1 140px" }}>
          <span>Action</span>
          <input name="action" placeholder="e.g. key." />
        </label>
        <label className="field" style={{ flex: "1 1 140px" }}>
          <span>Actor</span>
          <input name="actor" placeholder="user:… or key:…" />
        </label>
        <label className="field" style={{ flex: "1 1 140px" }}>
          <span>Object type</span>
          <input name="object_type" placeholder="e.g. api_key" />
        </label>
        <label className="field" style={{ flex: "1 1 140px" }}>
          <span>From</span>
          <input name="from" type="date" />
        </label>
        <label className="field" style={{ flex: "1 1 140px" }}>
          <span>To</span>
          <input name="to" type="date" />
        </label>
        <button className="btn primary" type="submit" style={{ alignSelf: "flex-end" }}>
          Filter
        </button>
      </form>
      <ErrorBox error={rows.error ?? chain.error} />
      <DataTable
        list={rows}
        what="audit rows"
        label="Audit rows"
        rowKey={(r) => r.seq}
        empty={
          <Empty title="No matching rows">
            <p>Clear the filters to see everything.</p>
          </Empty>
        }
        columns={[
          { header: "#", className: "small muted", cell: (r) => r.seq },
          {
            header: "When",
            className: "nowrap",
            cell: (r) => <time dateTime={r.created_at}>{formatDate(r.created_at)}</time>,
          },
          {
            header: "What happened",
            cell: (r) => (
              <>
                <span data-testid="audit-sentence">{r.sentence}</span>
                <details className="small muted">
                  <summary>Details</summary>
                  <dl className="audit-raw">
                    <dt>Actor</dt>
                    <dd>
                      <code>{r.actor}</code>
                    </dd>
                    <dt>Action</dt>
                    <dd>
                      <code>{r.action}</code>
                    </dd>
                    <dt>Object</dt>
                    <dd>
                      <code>
                        {r.object_type} {r.object_id}
                      </code>
                    </dd>
                    <dt>Hash</dt>
                    <dd>
                      <code>{r.hash}</code>
                    </dd>
                  </dl>
                  <pre>{JSON.stringify(r.data, null, 2)}</pre>
                </details>
              </>
            ),
          },
        ]}
      />
    </>
  );
}

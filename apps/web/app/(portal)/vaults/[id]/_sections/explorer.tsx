"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Empty, ErrorBox, Loading } from "../../../../_components/feedback";
import { Markdown, queryWords } from "../../../../_components/markdown";
import { formValues } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";

/** The memory explorer: the search agents run, over installed memory and the vault's own, with provenance. */
export function Explorer({ vaultId }: { vaultId: string }) {
  const trpc = useTRPC();
  const [query, setQuery] = useState<string | null>(null);
  // The time machine: the vault as it stood at a past instant (empty: now).
  const [asOf, setAsOf] = useState<string | null>(null);
  const words = queryWords(query ?? "");
  const search = useQuery({
    ...trpc.vaults.search.queryOptions({
      vault_id: vaultId,
      query: query ?? "",
      top_k: 10,
      filter: {},
      mode: "hybrid",
      ...(asOf && { as_of: asOf }),
    }),
    enabled: Boolean(query),
  });
  return (
    <div className="stack">
      <form
        className="card row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e.currentTarget);
          setQuery(v.q?.trim() || null);
          // A local date and time, read as this browser's time zone.
          setAsOf(v.as_of ? new Date(v.as_of).toISOString() : null);
        }}
      >
        <label className="sr-only" htmlFor="vault-q">
          Search this vault
        </label>
        <input
          id="vault-q"
          name="q"
          placeholder="Ask what your agents would ask…"
          style={{ flex: "1 1 300px" }}
        />
        <label className="field small">
          <span>As of</span>
          <input name="as_of" type="datetime-local" aria-describedby="as-of-hint" />
        </label>
        <button className="btn primary" type="submit">
          Search
        </button>
        <span id="as-of-hint" className="small muted" style={{ flex: "1 1 100%" }}>
          Leave “As of” empty to search the vault as it is; set it to see what it held and how its memories
          read then.
        </span>
      </form>
      <ErrorBox error={search.error} />
      {search.isFetching && <Loading what="results" />}
      {search.data &&
        (search.data.results.length === 0 ? (
          <Empty title="No matches">
            <p>Nothing installed or remembered here mentions that.</p>
          </Empty>
        ) : (
          <ol className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Results">
            {search.data.results.map((r) => (
              <li key={r.id} className="card hit" data-testid="vault-hit">
                <div className="small muted">
                  {r.cube ? `${r.cube.publisher} / ${r.cube.slug} v${r.cube.version}` : "own memory"}
                  {typeof r.metadata.heading === "string" ? ` · ${r.metadata.heading}` : ""}
                </div>
                <Markdown source={r.text} highlight={words} allowHtml={false} />
                <details className="small muted">
                  <summary>Why this result</summary>
                  Ranked {r.score.toFixed(3)} by reciprocal-rank fusion of the meaning (vector) and word
                  (keyword) rankings{r.source === "memory" ? ", among your own memories" : ""}.
                </details>
              </li>
            ))}
          </ol>
        ))}
    </div>
  );
}

"use client";
import { createMemoryInput } from "@memstore/api/schemas";
import { MEMORY_STATES, type MemoryState } from "@memstore/core";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { type FormEvent, useState } from "react";
import { Field } from "../../../../_components/field";
import { Empty, ErrorBox, formatDate, Loading, StatusBadge } from "../../../../_components/feedback";
import { itemsOf, PAGED, ShowMore } from "../../../../_components/show-more";
import { formValues, splitTags, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";
import type { AppRouter } from "../../../../../src/trpc/root.ts";

type Memory = inferRouterOutputs<AppRouter>["vaults"]["memories"]["items"][number];

/**
 * The organisation's own memories in the vault, by state: written, edited (a new version each
 * time), archived, merged (several active ones into one) and restored from the archive.
 */
export function OwnMemories({ vaultId }: { vaultId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<MemoryState>("active");
  const [selected, setSelected] = useState<string[]>([]);
  const memories = useInfiniteQuery(
    trpc.vaults.memories.infiniteQueryOptions({ vault_id: vaultId, state, limit: 50 }, PAGED),
  );
  const rows = itemsOf(memories.data);
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.vaults.memories.pathFilter()) };
  const create = useMutation(trpc.vaults.createMemory.mutationOptions(refresh));
  const merge = useMutation(
    trpc.vaults.mergeMemories.mutationOptions({
      onSuccess: () => {
        setSelected([]);
        return refresh.onSuccess();
      },
    }),
  );
  const { errors, submit } = useSchemaForm(createMemoryInput);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const v = formValues(form);
    const values = { text: v.text, tags: splitTags(v.tags) };
    if (await submit(values, (value) => create.mutateAsync({ vault_id: vaultId, ...value }))) form.reset();
  }

  const toggle = (id: string) =>
    setSelected((now) => (now.includes(id) ? now.filter((s) => s !== id) : [...now, id]));
  return (
    <div className="two-col">
      <div className="stack">
        <div className="spread">
          <div className="field small">
            <label htmlFor="memory-state">Show</label>
            <select
              id="memory-state"
              name="state"
              value={state}
              onChange={(e) => {
                setState(e.target.value as MemoryState);
                setSelected([]);
              }}
            >
              {MEMORY_STATES.map((s) => (
                <option key={s} value={s}>
                  {s[0]!.toUpperCase() + s.slice(1)}
                </option>
              ))}
            </select>
          </div>
          {state === "active" && (
            <button
              className="btn small"
              type="button"
              disabled={selected.length < 2 || merge.isPending}
              title="Select two or more memories to merge them into one"
              onClick={() => merge.mutate({ vault_id: vaultId, memory_ids: selected })}
            >
              Merge selected ({selected.length})
            </button>
          )}
        </div>
        <ErrorBox error={memories.error ?? merge.error} />
        {memories.isPending ? (
          <Loading what="memories" />
        ) : rows.length === 0 ? (
          <Empty title={state === "active" ? "No memories of your own" : `No ${state} memories`}>
            <p>
              {state === "active"
                ? "Agents write them through the API; you can add one here too."
                : "Memories land here as they are archived, expired by the retention policy, or merged."}
            </p>
          </Empty>
        ) : (
          rows.map((m) => (
            <MemoryCard
              key={m.id}
              vaultId={vaultId}
              memory={m}
              selected={selected.includes(m.id)}
              onSelect={state === "active" ? () => toggle(m.id) : undefined}
            />
          ))
        )}
        <ShowMore list={memories} what="memories" />
      </div>
      <form
        className="card form"
        onSubmit={(event) => void onCreate(event)}
        noValidate
        aria-labelledby="new-memory"
      >
        <h3 id="new-memory">Add a memory</h3>
        <Field label="Text" error={errors.text}>
          {(a) => <textarea {...a} name="text" />}
        </Field>
        <Field label="Tags" error={errors.tags} hint="Comma separated.">
          {(a) => <input {...a} name="tags" />}
        </Field>
        <ErrorBox error={create.error} />
        <button className="btn primary" type="submit" disabled={create.isPending}>
          Save memory
        </button>
      </form>
    </div>
  );
}

/** One memory: its text, state and use; edit, archive or restore it; its versions. */
function MemoryCard({
  vaultId,
  memory: m,
  selected,
  onSelect,
}: {
  vaultId: string;
  memory: Memory;
  selected: boolean;
  /** Present while merging is possible (active memories). */
  onSelect: (() => void) | undefined;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.vaults.memories.pathFilter()) };
  const update = useMutation(trpc.vaults.updateMemory.mutationOptions(refresh));
  const archive = useMutation(trpc.vaults.archiveMemory.mutationOptions(refresh));
  const restore = useMutation(trpc.vaults.restoreMemory.mutationOptions(refresh));
  const [editing, setEditing] = useState(false);
  const [history, setHistory] = useState(false);
  const ref = { vault_id: vaultId, memory_id: m.id };
  return (
    <article className="card stack" data-testid="own-memory">
      <div className="spread small muted">
        <span className="row">
          {onSelect && (
            <input type="checkbox" checked={selected} onChange={onSelect} aria-label="Select to merge" />
          )}
          <span>
            v{m.version} · {formatDate(m.created_at)} <StatusBadge status={m.state} />
            {" · "}
            {m.access_count === 0
              ? "never read by a search"
              : `read ${m.access_count} time${m.access_count === 1 ? "" : "s"}, last ${formatDate(m.last_accessed_at)}`}
            {m.merged_from && ` · merged from ${m.merged_from.length} memories`}
          </span>
        </span>
        <span className="row">
          {m.state === "active" && (
            <button className="btn small" type="button" onClick={() => setEditing(!editing)}>
              Edit
            </button>
          )}
          <button className="btn small" type="button" onClick={() => setHistory(!history)}>
            History
          </button>
          {m.state === "active" ? (
            <button className="btn small danger" type="button" onClick={() => archive.mutate(ref)}>
              Archive
            </button>
          ) : (
            <button className="btn small" type="button" onClick={() => restore.mutate(ref)}>
              Restore
            </button>
          )}
        </span>
      </div>
      <ErrorBox error={update.error ?? archive.error ?? restore.error} />
      {editing ? (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            const text = formValues(e.currentTarget).text ?? "";
            update.mutate({ ...ref, changes: { text } }, { onSuccess: () => setEditing(false) });
          }}
        >
          <Field label="Text">{(a) => <textarea {...a} name="text" defaultValue={m.text} />}</Field>
          <button className="btn primary small" type="submit">
            Save as v{m.version + 1}
          </button>
        </form>
      ) : (
        <p style={{ margin: 0, whiteSpace: "pre-wrap" }}>{m.text}</p>
      )}
      {history && <History vaultId={vaultId} memoryId={m.id} />}
    </article>
  );
}

function History({ vaultId, memoryId }: { vaultId: string; memoryId: string }) {
  const trpc = useTRPC();
  const history = useQuery(
    trpc.vaults.memoryHistory.queryOptions({ vault_id: vaultId, memory_id: memoryId }),
  );
  if (!history.data) return <Loading what="history" />;
  return (
    <ol className="small" aria-label="Version history">
      {history.data.items.map((h) => (
        <li key={h.revision_id}>
          <strong>v{h.version}</strong> {h.is_current ? "(current)" : ""} · {formatDate(h.created_at)} —{" "}
          {h.text}
        </li>
      ))}
    </ol>
  );
}

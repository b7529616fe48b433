"use client";
import { createMemoryInput } from "@memstore/api/schemas";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Field } from "../../../../_components/field";
import { Empty, ErrorBox, formatDate, Loading, StatusBadge } from "../../../../_components/feedback";
import { itemsOf, PAGED, ShowMore } from "../../../../_components/show-more";
import { formValues, splitTags, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";

/** The organisation's own memories in the vault: written, edited (a new version each time) and archived. */
export function OwnMemories({ vaultId }: { vaultId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const memories = useInfiniteQuery(
    trpc.vaults.memories.infiniteQueryOptions({ vault_id: vaultId, limit: 50 }, PAGED),
  );
  const rows = itemsOf(memories.data);
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.vaults.memories.pathFilter()) };
  const create = useMutation(trpc.vaults.createMemory.mutationOptions(refresh));
  const update = useMutation(trpc.vaults.updateMemory.mutationOptions(refresh));
  const archive = useMutation(trpc.vaults.archiveMemory.mutationOptions(refresh));
  const { errors, submit } = useSchemaForm(createMemoryInput);
  const [editing, setEditing] = useState<string | null>(null);
  const [historyOf, setHistoryOf] = useState<string | null>(null);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const v = formValues(form);
    const values = { text: v.text, tags: splitTags(v.tags) };
    if (await submit(values, (value) => create.mutateAsync({ vault_id: vaultId, ...value }))) form.reset();
  }

  return (
    <div className="two-col">
      <div className="stack">
        <ErrorBox error={memories.error ?? update.error ?? archive.error} />
        {memories.isPending ? (
          <Loading what="memories" />
        ) : rows.length === 0 ? (
          <Empty title="No memories of your own">
            <p>Agents write them through the API; you can add one here too.</p>
          </Empty>
        ) : (
          rows.map((m) => (
            <article key={m.id} className="card stack">
              <div className="spread small muted">
                <span>
                  v{m.version} · {formatDate(m.created_at)} <StatusBadge status={m.state} />
                </span>
                <span className="row">
                  <button
                    className="btn small"
                    type="button"
                    onClick={() => setEditing(editing === m.id ? null : m.id)}
                  >
                    Edit
                  </button>
                  <button
                    className="btn small"
                    type="button"
                    onClick={() => setHistoryOf(historyOf === m.id ? null : m.id)}
                  >
                    History
                  </button>
                  {m.state === "active" && (
                    <button
                      className="btn small danger"
                      type="button"
                      onClick={() => archive.mutate({ vault_id: vaultId, memory_id: m.id })}
                    >
                      Archive
                    </button>
                  )}
                </span>
              </div>
              {editing === m.id ? (
                <form
                  className="form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const text = formValues(e.currentTarget).text ?? "";
                    update.mutate(
                      { vault_id: vaultId, memory_id: m.id, changes: { text } },
                      { onSuccess: () => setEditing(null) },
                    );
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
              {historyOf === m.id && <History vaultId={vaultId} memoryId={m.id} />}
            </article>
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

"use client";
import { createMemoryInput } from "@memstore/api/schemas";
import { CUBE_TYPE_DEFINITIONS, type CubeType } from "@memstore/core";
import { ENTITY_TYPES } from "@memstore/privacy/entities";
import { DEFAULT_PII_POLICY } from "@memstore/privacy/policy";
import { OPERATOR_NAMES, type OperatorName, type PiiPolicyInput } from "@memstore/privacy/schemas";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { Field } from "../../../_components/field";
import { Empty, ErrorBox, formatDate, Loading, StatusBadge } from "../../../_components/feedback";
import { DataTable } from "../../../_components/data-table";
import { itemsOf, PAGED, ShowMore } from "../../../_components/show-more";
import { formValues, splitTags, useSchemaForm } from "../../../_lib/form";
import { useTRPC } from "../../../_lib/trpc";

export function VaultDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const vault = useQuery(trpc.vaults.get.queryOptions({ vault_id: id })).data;
  const [tab, setTab] = useState<"installs" | "search" | "memories" | "privacy">("installs");
  const tabs = [
    ["installs", "Installs"],
    ["search", "Memory explorer"],
    ["memories", "Own memories"],
    ["privacy", "Privacy"],
  ] as const;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="small">
            <Link href="/vaults">Vaults</Link>
          </p>
          <h1>{vault?.name ?? "Vault"}</h1>
          <p>
            {vault ? `${vault.namespace_kind} vault · ` : ""}
            <code>{id}</code>
          </p>
        </div>
      </div>
      <div className="row" role="tablist" aria-label="Vault sections" style={{ marginBottom: "1rem" }}>
        {tabs.map(([key, label]) => (
          <button
            key={key}
            role="tab"
            type="button"
            aria-selected={tab === key}
            className={`btn small ${tab === key ? "primary" : ""}`}
            onClick={() => setTab(key)}
          >
            {label}
          </button>
        ))}
      </div>
      {tab === "installs" && <Installs vaultId={id} />}
      {tab === "search" && <Explorer vaultId={id} />}
      {tab === "memories" && <OwnMemories vaultId={id} />}
      {tab === "privacy" && vault && <PrivacySettings vault={vault} />}
    </>
  );
}

function Installs({ vaultId }: { vaultId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const installs = useInfiniteQuery(
    trpc.vaults.installs.infiniteQueryOptions({ vault_id: vaultId, limit: 50 }, PAGED),
  );
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.vaults.installs.pathFilter()) };
  const upgrade = useMutation(trpc.vaults.upgrade.mutationOptions(refresh));
  const uninstall = useMutation(trpc.vaults.uninstall.mutationOptions(refresh));
  return (
    <div className="stack">
      <ErrorBox error={installs.error ?? upgrade.error ?? uninstall.error} />
      <DataTable
        list={installs}
        what="installs"
        rowKey={(i) => i.id}
        empty={
          <Empty title="Nothing installed">
            <p>
              Find memory in the <Link href="/store">store</Link> and install it here.
            </p>
          </Empty>
        }
        columns={[
          {
            header: "Cube",
            cell: (i) => (
              <>
                <Link href={`/store/${i.listing_id}`}>{i.cube.slug}</Link>
                <div className="muted small">by {i.cube.publisher}</div>
              </>
            ),
          },
          { header: "Version", cell: (i) => `v${i.version}` },
          { header: "Policy", cell: (i) => <code>{i.version_policy}</code> },
          { header: "State", cell: (i) => <StatusBadge status={i.state} /> },
          {
            header: "Payload",
            cell: (i) => <PayloadLinks vaultId={vaultId} install={i} />,
          },
          {
            header: "Actions",
            cell: (i) => (
              <div className="row">
                <button
                  className="btn small"
                  type="button"
                  onClick={() => upgrade.mutate({ vault_id: vaultId, install_id: i.id })}
                >
                  Upgrade
                </button>
                <button
                  className="btn small"
                  type="button"
                  onClick={() =>
                    upgrade.mutate({ vault_id: vaultId, install_id: i.id, version_policy: i.version })
                  }
                >
                  Pin v{i.version}
                </button>
                <button
                  className="btn small danger"
                  type="button"
                  onClick={() => {
                    if (confirm(`Uninstall ${i.cube.slug} from this vault?`))
                      uninstall.mutate({ vault_id: vaultId, install_id: i.id });
                  }}
                >
                  Uninstall
                </button>
              </div>
            ),
          },
        ]}
      />
    </div>
  );
}

/**
 * Downloads of an installed LoRA pack or KV snapshot: the organisation's fingerprinted copy, in its
 * own dtype or another. Plaintext has none: agents search it.
 */
function PayloadLinks({
  vaultId,
  install,
}: {
  vaultId: string;
  install: { id: string; cube: { slug: string; type: CubeType } };
}) {
  const variants = CUBE_TYPE_DEFINITIONS[install.cube.type].variants;
  if (install.cube.type === "plaintext") return <span className="muted small">searched, not downloaded</span>;
  const href = (dtype?: string) =>
    `/api/portal/vaults/${vaultId}/installs/${install.id}/payload${dtype ? `?dtype=${dtype}` : ""}`;
  return (
    <span className="row small">
      <a href={href()} download aria-label={`Download ${install.cube.slug}`}>
        Download
      </a>
      {variants.map((dtype) => (
        <a key={dtype} href={href(dtype)} download aria-label={`Download ${install.cube.slug} as ${dtype}`}>
          as {dtype}
        </a>
      ))}
    </span>
  );
}

function Explorer({ vaultId }: { vaultId: string }) {
  const trpc = useTRPC();
  const [query, setQuery] = useState<string | null>(null);
  const search = useQuery({
    ...trpc.vaults.search.queryOptions({
      vault_id: vaultId,
      query: query ?? "",
      top_k: 10,
      filter: {},
      mode: "hybrid",
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
          setQuery(formValues(e.currentTarget).q?.trim() || null);
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
        <button className="btn primary" type="submit">
          Search
        </button>
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
                <div className="spread small muted">
                  <span>
                    {r.cube ? `${r.cube.publisher} / ${r.cube.slug} v${r.cube.version}` : "own memory"}
                    {typeof r.metadata.heading === "string" ? ` · ${r.metadata.heading}` : ""}
                  </span>
                  <span>score {r.score.toFixed(3)}</span>
                </div>
                <p style={{ margin: "0.4rem 0 0", whiteSpace: "pre-wrap" }}>{r.text}</p>
              </li>
            ))}
          </ol>
        ))}
    </div>
  );
}

function OwnMemories({ vaultId }: { vaultId: string }) {
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
                  {m.state === "activated" && (
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
      <form className="card form" onSubmit={onCreate} noValidate aria-labelledby="new-memory">
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

type VaultSettings = {
  id: string;
  desensitise_on_write: boolean;
  pii_policy: Record<string, unknown>;
};

/**
 * Whether memories agents write are desensitised, and how: an operator per entity type. The policy
 * is saved whole (a policy names every type it handles), or empty when it is the default one.
 */
function PrivacySettings({ vault }: { vault: VaultSettings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.vaults.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.vaults.get.pathFilter()),
    }),
  );
  const operatorOf = (type: string) => {
    const op = vault.pii_policy[type] as OperatorName | { operator: OperatorName } | undefined;
    if (op === undefined) return Object.keys(vault.pii_policy).length === 0 ? "" : "none";
    return typeof op === "string" ? op : op.operator;
  };

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const chosen = ENTITY_TYPES.map(
      (type) => [type, (v[type] || DEFAULT_PII_POLICY[type]!.operator) as OperatorName | "none"] as const,
    );
    const isDefault = chosen.every(([type, op]) => op === DEFAULT_PII_POLICY[type]!.operator);
    const policy: PiiPolicyInput = {};
    for (const [type, op] of chosen) {
      // An operator left as it was keeps its options (a mask's length, say).
      if (op !== "none")
        policy[type] = operatorOf(type) === op ? (vault.pii_policy[type] as OperatorName) : op;
    }
    update.mutate({
      vault_id: vault.id,
      desensitise_on_write: v.desensitise_on_write === "on",
      pii_policy: isDefault ? {} : policy,
    });
  }

  return (
    <form className="card stack" onSubmit={onSubmit} style={{ maxWidth: 640 }}>
      <label className="check">
        <input type="checkbox" name="desensitise_on_write" defaultChecked={vault.desensitise_on_write} />
        <span>Desensitise memories agents write, before they are stored and embedded</span>
      </label>
      <p className="small muted" style={{ margin: 0 }}>
        What happens to each kind of personal data found. Installed cubes were desensitised by their
        publishers; this applies to your own memories.
      </p>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Found</th>
              <th scope="col">Operator</th>
            </tr>
          </thead>
          <tbody>
            {ENTITY_TYPES.map((type) => (
              <tr key={type}>
                <td>
                  <label htmlFor={`op-${type}`}>
                    <code>{type}</code>
                  </label>
                </td>
                <td>
                  <select id={`op-${type}`} name={type} defaultValue={operatorOf(type)}>
                    <option value="">Default ({DEFAULT_PII_POLICY[type]!.operator})</option>
                    {OPERATOR_NAMES.map((op) => (
                      <option key={op} value={op}>
                        {op}
                      </option>
                    ))}
                    <option value="none">leave as found</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorBox error={update.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save privacy settings"}
        </button>
        {update.isSuccess && (
          <span className="small" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}

"use client";
import { createApiKeyInput } from "@memstore/api/schemas";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Field } from "../../_components/field";
import { DataTable } from "../../_components/data-table";
import { Empty, ErrorBox, formatDate } from "../../_components/feedback";
import { PAGED } from "../../_components/show-more";
import { useSchemaForm } from "../../_lib/form";
import { useTRPC } from "../../_lib/trpc";

const SCOPES = [
  ["vault:read", "Search and read vault memory"],
  ["vault:write", "Write the vault's own memories"],
  ["subscribe", "Acquire, install, subscribe"],
  ["publish", "Publish cubes and listings"],
  ["admin", "Manage keys and read the audit log"],
] as const;

export default function KeysPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useInfiniteQuery(trpc.keys.list.infiniteQueryOptions({ limit: 50 }, PAGED));
  const vaults = useQuery(trpc.vaults.list.queryOptions({ limit: 200 }));
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.keys.list.pathFilter()) };
  const create = useMutation(trpc.keys.create.mutationOptions(refresh));
  const revoke = useMutation(trpc.keys.revoke.mutationOptions(refresh));
  const { errors, submit } = useSchemaForm(createApiKeyInput);
  const [secret, setSecret] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const entered = data.get("expires");
    const expires = typeof entered === "string" ? entered : "";
    const values = {
      name: data.get("name"),
      scopes: data.getAll("scopes"),
      vault_id: data.get("vault_id") || undefined,
      expires_at: expires ? new Date(`${expires}T23:59:59Z`).toISOString() : undefined,
    };
    const created = await submit(values, (value) => create.mutateAsync(value));
    if (!created) return;
    setSecret(created.key);
    form.reset();
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>API keys</h1>
          <p>Keys let agents and scripts call MemStore. Give each the fewest scopes it needs.</p>
        </div>
      </div>
      {secret && <NewSecret secret={secret} onDone={() => setSecret(null)} />}
      <div className="two-col">
        <div>
          <ErrorBox error={keys.error ?? revoke.error} />
          <DataTable
            list={keys}
            what="keys"
            rowKey={(k) => k.id}
            empty={
              <Empty title="No keys">
                <p>Create a key for your first agent.</p>
              </Empty>
            }
            columns={[
              {
                header: "Name",
                cell: (k) => (
                  <>
                    {k.name}
                    <div className="muted small">
                      <code>{k.prefix}…</code>
                    </div>
                  </>
                ),
              },
              { header: "Scopes", cell: (k) => k.scopes.join(", ") },
              {
                header: "Vault",
                cell: (k) =>
                  vaults.data?.items.find((v) => v.id === k.vault_id)?.name ??
                  (k.vault_id ? k.vault_id : "any"),
              },
              { header: "Expires", cell: (k) => formatDate(k.expires_at) },
              { header: "Last used", cell: (k) => formatDate(k.last_used_at) },
              {
                header: <span className="sr-only">Revoke</span>,
                cell: (k) =>
                  k.revoked_at ? (
                    <span className="badge bad">revoked</span>
                  ) : (
                    <button
                      className="btn small danger"
                      type="button"
                      onClick={() => {
                        if (confirm(`Revoke ${k.name}? Agents using it stop working at once.`))
                          revoke.mutate({ id: k.id });
                      }}
                    >
                      Revoke
                    </button>
                  ),
              },
            ]}
          />
        </div>
        <form
          className="card form"
          onSubmit={(event) => void onSubmit(event)}
          noValidate
          aria-labelledby="new-key-title"
        >
          <h3 id="new-key-title">New key</h3>
          <Field label="Name" error={errors.name} hint="e.g. support-agent-prod">
            {(a) => <input {...a} name="name" />}
          </Field>
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map(([scope, label]) => (
              <label key={scope} className="row small" style={{ padding: "0.15rem 0" }}>
                <input type="checkbox" name="scopes" value={scope} defaultChecked={scope === "vault:read"} />
                <code>{scope}</code> {label}
              </label>
            ))}
            {errors.scopes && (
              <span className="error small" role="alert" style={{ color: "var(--bad)" }}>
                {errors.scopes}
              </span>
            )}
          </fieldset>
          <Field label="Bound to vault" error={errors.vault_id} hint="A bound key sees only this vault.">
            {(a) => (
              <select {...a} name="vault_id" defaultValue="">
                <option value="">Any vault</option>
                {vaults.data?.items.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Expires on" error={errors.expires_at} hint="Optional.">
            {(a) => <input {...a} name="expires" type="date" />}
          </Field>
          <ErrorBox error={create.error} />
          <button className="btn primary" type="submit" disabled={create.isPending}>
            Create key
          </button>
        </form>
      </div>
    </>
  );
}

/** A new key's secret, shown once, with a button to copy it. */
function NewSecret({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="card stack" style={{ marginBottom: "1rem" }} role="status">
      <strong>Copy this key now — it is shown only once.</strong>
      <div className="secret" data-testid="new-key">
        {secret}
      </div>
      <div className="row">
        <button
          className="btn small"
          type="button"
          onClick={() => void navigator.clipboard.writeText(secret).then(() => setCopied(true))}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button className="btn small" type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

"use client";
import { createVaultInput } from "@memstore/api/schemas";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { Field } from "../../_components/field";
import { Empty, ErrorBox, formatDate, Loading } from "../../_components/feedback";
import { itemsOf, PAGED, ShowMore } from "../../_components/show-more";
import { formValues, useSchemaForm } from "../../_lib/form";
import { useTRPC } from "../../_lib/trpc";

export default function VaultsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const vaults = useInfiniteQuery(trpc.vaults.list.infiniteQueryOptions({ limit: 50 }, PAGED));
  const rows = itemsOf(vaults.data);
  const create = useMutation(
    trpc.vaults.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.vaults.list.pathFilter()),
    }),
  );
  const { errors, submit } = useSchemaForm(createVaultInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    if (await submit(formValues(form), (value) => create.mutateAsync(value))) form.reset();
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Vaults</h1>
          <p>Where installed memory and your agents’ own memories live.</p>
        </div>
      </div>
      <div className="two-col">
        <div>
          <ErrorBox error={vaults.error} />
          {vaults.isPending ? (
            <Loading what="vaults" />
          ) : rows.length === 0 ? (
            <Empty title="No vaults yet">
              <p>Create a vault, then install listings from the store into it.</p>
            </Empty>
          ) : (
            <div className="stack">
              {rows.map((v) => (
                <Link
                  key={v.id}
                  href={`/vaults/${v.id}`}
                  className="card spread"
                  style={{ color: "inherit" }}
                >
                  <div>
                    <strong>{v.name}</strong>
                    <div className="muted small">
                      {v.namespace_kind} vault · created {formatDate(v.created_at)}
                    </div>
                  </div>
                  <span className="btn small">Open</span>
                </Link>
              ))}
            </div>
          )}
          <ShowMore list={vaults} what="vaults" />
        </div>
        <form
          className="card form"
          onSubmit={(event) => void onSubmit(event)}
          noValidate
          aria-labelledby="new-vault"
        >
          <h3 id="new-vault">New vault</h3>
          <Field label="Name" error={errors.name} hint="e.g. support-agents">
            {(a) => <input {...a} name="name" />}
          </Field>
          <Field label="Namespace" error={errors.namespace_kind}>
            {(a) => (
              <select {...a} name="namespace_kind" defaultValue="org">
                <option value="org">Organisation</option>
                <option value="team">Team</option>
                <option value="agent">Agent</option>
                <option value="user">User</option>
              </select>
            )}
          </Field>
          <ErrorBox error={create.error} />
          <button className="btn primary" type="submit" disabled={create.isPending}>
            Create vault
          </button>
        </form>
      </div>
    </>
  );
}

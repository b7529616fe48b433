"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { ErrorBox } from "../../../../_components/feedback";
import { formValues } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";

type Retention = {
  archive_unused_after_days?: number;
  expire_archived_after_days?: number;
  purge_expired_after_days?: number;
  max_memories?: number;
} | null;

const FIELDS = [
  ["archive_unused_after_days", "Archive memories unused for (days)"],
  ["expire_archived_after_days", "Expire archived memories after (days)"],
  ["purge_expired_after_days", "Purge expired memories' text after (days)"],
  ["max_memories", "At most this many active memories"],
] as const;

/** The vault's retention: each rule applies when filled in; the sweep runs every quarter hour. */
export function RetentionSettings({ vault }: { vault: { id: string; retention: Retention } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.vaults.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.vaults.get.pathFilter()),
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const set = FIELDS.flatMap(([key]) => (v[key] ? [[key, Number(v[key])] as const] : []));
    update.mutate({ vault_id: vault.id, retention: set.length ? Object.fromEntries(set) : null });
  }

  return (
    <form className="card stack" onSubmit={onSubmit} aria-label="Retention">
      <p className="small muted">
        Unused memories are archived, archived ones expire, expired ones lose their text (its SHA-256 stays in
        the history). Empty fields leave that rule off; memories&apos; own TTLs apply either way.
      </p>
      {FIELDS.map(([key, label]) => (
        <label className="field" key={key}>
          <span>{label}</span>
          <input name={key} type="number" min={1} defaultValue={vault.retention?.[key] ?? ""} />
        </label>
      ))}
      <div className="row">
        <button className="btn primary" type="submit">
          Save retention
        </button>
        {update.isSuccess && <span role="status">Saved.</span>}
      </div>
      <ErrorBox error={update.error} />
    </form>
  );
}

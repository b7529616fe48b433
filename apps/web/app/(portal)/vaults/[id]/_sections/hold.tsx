"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { ErrorBox, formatDate } from "../../../../_components/feedback";
import { formValues } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";

type Frozen = { at: string; reason: string; by: string; by_name: string } | null;

/**
 * A vault's legal hold: while frozen, a banner says since when, why and who froze it, with the way
 * to lift it; otherwise a quiet form to put one on. Owners and admins only (the API says no to others).
 */
export function Hold({ vaultId, frozen }: { vaultId: string; frozen: Frozen }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.vaults.pathFilter()) };
  const freeze = useMutation(trpc.vaults.freeze.mutationOptions(refresh));
  const unfreeze = useMutation(trpc.vaults.unfreeze.mutationOptions(refresh));

  function onFreeze(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { reason } = formValues(event.currentTarget);
    if (reason) freeze.mutate({ vault_id: vaultId, reason });
  }

  if (frozen) {
    return (
      <div className="card frozen-banner" role="status" data-testid="frozen-banner">
        <strong>Frozen</strong> since {formatDate(frozen.at)} by {frozen.by_name}: {frozen.reason}. No memory,
        install or setting of this vault changes until it is unfrozen; search and export go on.
        <div className="row" style={{ marginTop: "0.5rem" }}>
          <button
            className="btn small"
            type="button"
            onClick={() => unfreeze.mutate({ vault_id: vaultId })}
            disabled={unfreeze.isPending}
          >
            Unfreeze
          </button>
        </div>
        <ErrorBox error={unfreeze.error} />
      </div>
    );
  }
  return (
    <details className="small" style={{ marginBottom: "1rem" }}>
      <summary>Legal hold</summary>
      <form className="row" onSubmit={onFreeze} aria-label="Freeze this vault">
        <label className="field" style={{ flex: "1 1 260px" }}>
          <span>Reason</span>
          <input name="reason" required maxLength={1000} placeholder="e.g. litigation hold, case 2026-114" />
        </label>
        <button className="btn small danger" type="submit" style={{ alignSelf: "flex-end" }}>
          Freeze vault
        </button>
      </form>
      <ErrorBox error={freeze.error} />
    </details>
  );
}

"use client";
import { ENTITY_TYPES } from "@memstore/privacy/entities";
import { DEFAULT_PII_POLICY } from "@memstore/privacy/policy";
import { OPERATOR_NAMES, type OperatorName, type PiiPolicyInput } from "@memstore/privacy/schemas";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { ErrorBox } from "../../../../_components/feedback";
import { formValues } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";

type VaultSettings = {
  id: string;
  desensitise_on_write: boolean;
  pii_policy: Record<string, unknown>;
};

/**
 * Whether memories agents write are desensitised, and how: an operator per entity type. The policy
 * is saved whole (a policy names every type it handles), or empty when it is the default one.
 */
export function PrivacySettings({ vault }: { vault: VaultSettings }) {
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

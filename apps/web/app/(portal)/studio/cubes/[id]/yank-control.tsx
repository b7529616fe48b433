"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { ErrorBox, formatDate } from "../../../../_components/feedback";
import { formValues } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";

type Yanked = { at: string; reason: string; severity: string } | null;

/**
 * A ready version's yank: its tombstone and the way back when it is yanked; otherwise a form with
 * the reason and how bad it is (`critical` suspends installs that cannot move off it).
 */
export function YankControl({
  cubeId,
  version,
  yanked,
}: {
  cubeId: string;
  version: string;
  yanked: Yanked;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.publishing.pathFilter()) };
  const yank = useMutation(trpc.publishing.yankVersion.mutationOptions(refresh));
  const unyank = useMutation(trpc.publishing.unyankVersion.mutationOptions(refresh));

  function onYank(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { reason, severity } = formValues(event.currentTarget);
    if (reason)
      yank.mutate({
        cube_id: cubeId,
        version,
        reason,
        severity: severity === "critical" ? "critical" : "normal",
      });
  }

  if (yanked) {
    return (
      <div className="small" data-testid="version-tombstone">
        <span className="badge bad">yanked</span> {formatDate(yanked.at)} ({yanked.severity}): {yanked.reason}{" "}
        <button
          className="btn small"
          type="button"
          onClick={() => unyank.mutate({ cube_id: cubeId, version })}
        >
          Unyank v{version}
        </button>
        <ErrorBox error={unyank.error} />
      </div>
    );
  }
  return (
    <details className="small">
      <summary>Yank this version</summary>
      <form className="row" onSubmit={onYank} aria-label={`Yank v${version}`}>
        <label className="field" style={{ flex: "1 1 240px" }}>
          <span>Why</span>
          <input
            name="reason"
            required
            maxLength={1000}
            placeholder="e.g. a customer's IBAN slipped through"
          />
        </label>
        <label className="field">
          <span>Severity</span>
          <select name="severity" defaultValue="normal">
            <option value="normal">normal: installs keep it with a notice if they cannot move</option>
            <option value="critical">critical: installs that cannot move are suspended</option>
          </select>
        </label>
        <button className="btn small danger" type="submit" style={{ alignSelf: "flex-end" }}>
          Yank v{version}
        </button>
      </form>
      <ErrorBox error={yank.error} />
    </details>
  );
}

"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ErrorBox, formatDate } from "../../../../_components/feedback";
import { useTRPC } from "../../../../_lib/trpc";

/**
 * A version its evaluation held: why (its recall fell by more than the set allows), and the release
 * that announces and offers it — the publisher's call, having read the questions it lost.
 */
export function HeldNotice({
  cubeId,
  version,
  held,
}: {
  cubeId: string;
  version: string;
  held: { at: string; reason: string } | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const release = useMutation(
    trpc.publishing.releaseVersion.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.publishing.pathFilter()),
    }),
  );
  if (!held) return null;
  return (
    <div className="alert warn stack" role="status" data-testid="held-notice">
      <span>
        <strong>Held</strong> since {formatDate(held.at)}: {held.reason}. No one is told of it or offered it,
        and no install moves to it, until you release it.
      </span>
      <div className="row">
        <button
          className="btn small"
          type="button"
          disabled={release.isPending}
          onClick={() => release.mutate({ cube_id: cubeId, version })}
        >
          Release v{version}
        </button>
      </div>
      <ErrorBox error={release.error} />
    </div>
  );
}

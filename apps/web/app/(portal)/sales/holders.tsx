"use client";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { DataTable } from "../../_components/data-table";
import { Empty, ErrorBox, formatDate, StatusBadge } from "../../_components/feedback";
import { PAGED } from "../../_components/show-more";
import { useTRPC } from "../../_lib/trpc";

/** Who holds a listing, in what state, and a revoke (with a reason, and a refund if asked) for each. */
export function Holders({ listingId, title }: { listingId: string; title: string }) {
  const trpc = useTRPC();
  const holders = useInfiniteQuery(
    trpc.commerce.holders.infiniteQueryOptions({ id: listingId, limit: 20 }, PAGED),
  );
  const [revoking, setRevoking] = useState<string | null>(null);
  return (
    <section className="stack" aria-label={`Holders of ${title}`}>
      <h2 style={{ marginBottom: 0 }}>Holders of {title}</h2>
      <DataTable
        list={holders}
        what="holders"
        label={`Holders of ${title}`}
        rowKey={(h) => h.id}
        empty={<Empty title="No one holds it yet" />}
        columns={[
          { header: "Organisation", cell: (h) => h.organization.name },
          { header: "Source", cell: (h) => h.source },
          { header: "State", cell: (h) => <StatusBadge status={h.state} /> },
          { header: "Since", cell: (h) => formatDate(h.created_at) },
          { header: "Renews", cell: (h) => formatDate(h.current_period_end) },
          { header: "Calls (30 days)", cell: (h) => h.calls_30d.toLocaleString("en") },
          {
            header: "",
            cell: (h) =>
              h.revoked_at ? (
                <span className="small muted">{h.revoked_reason}</span>
              ) : revoking === h.id ? (
                <RevokeForm entitlementId={h.id} onDone={() => setRevoking(null)} />
              ) : (
                <button className="btn small danger" type="button" onClick={() => setRevoking(h.id)}>
                  Revoke
                </button>
              ),
          },
        ]}
      />
    </section>
  );
}

function RevokeForm({ entitlementId, onDone }: { entitlementId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [refund, setRefund] = useState(false);
  const revoke = useMutation(
    trpc.commerce.revoke.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.commerce.pathKey() });
        onDone();
      },
    }),
  );
  return (
    <form
      className="row"
      aria-label="Revoke entitlement"
      onSubmit={(event) => {
        event.preventDefault();
        revoke.mutate({ id: entitlementId, revoke: { reason, refund } });
      }}
    >
      <label className="sr-only" htmlFor={`reason-${entitlementId}`}>
        Reason
      </label>
      <input
        id={`reason-${entitlementId}`}
        placeholder="Reason (the holder sees it)"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        required
        maxLength={500}
      />
      <label className="check small">
        <input type="checkbox" checked={refund} onChange={(e) => setRefund(e.target.checked)} />
        <span>Refund</span>
      </label>
      <button className="btn small danger" type="submit" disabled={revoke.isPending || reason.trim() === ""}>
        Confirm revoke
      </button>
      <ErrorBox error={revoke.error} />
    </form>
  );
}

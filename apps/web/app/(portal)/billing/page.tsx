"use client";
import { formatMinor } from "@memstore/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Empty, ErrorBox, formatDate, Loading, priceLabel, StatusBadge } from "../../_components/feedback";
import { useTRPC } from "../../_lib/trpc";

/**
 * The subscriber's billing: what the organisation holds, in what state, when each subscription
 * renews (or ends), what was paid, the spend so far, and a cancel at period end.
 */
export default function BillingPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const billing = useQuery(trpc.commerce.billing.queryOptions());
  const cancel = useMutation(
    trpc.commerce.cancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.commerce.billing.queryKey() }),
    }),
  );
  const data = billing.data;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Billing</h1>
          <p>Your organisation&apos;s entitlements, renewal dates and spend.</p>
        </div>
      </div>
      <ErrorBox error={billing.error ?? cancel.error} />
      {!data ? (
        <Loading what="billing" />
      ) : data.entitlements.length === 0 ? (
        <Empty title="Nothing bought yet">
          <p>
            Find memory in the <Link href="/store">store</Link>; what you get shows here.
          </p>
        </Empty>
      ) : (
        <div className="stack">
          <p>
            Spent:{" "}
            <strong>
              {data.spend.length
                ? data.spend.map((s) => formatMinor(s.spend_cents, s.currency)).join(" + ")
                : "nothing yet"}
            </strong>
          </p>
          <div className="table-wrap">
            <table className="table" aria-label="Entitlements">
              <thead>
                <tr>
                  <th scope="col">Listing</th>
                  <th scope="col">Price</th>
                  <th scope="col">State</th>
                  <th scope="col">Renews or ends</th>
                  <th scope="col">Paid</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {data.entitlements.map((e) => {
                  const renewing =
                    e.source === "subscription" || (e.source === "offer" && e.current_period_end);
                  const live = ["active", "trialing", "past_due"].includes(e.state);
                  return (
                    <tr key={e.id}>
                      <td>
                        <Link href={`/store/${e.listing.id}`}>{e.listing.title}</Link>
                      </td>
                      <td>{priceLabel(e.listing.pricing)}</td>
                      <td>
                        <StatusBadge status={e.state} />
                        {e.revoked_reason && <div className="small muted">{e.revoked_reason}</div>}
                      </td>
                      <td>
                        {e.current_period_end
                          ? `${e.cancel_at_period_end ? "Ends" : "Renews"} ${formatDate(e.current_period_end)}`
                          : e.valid_until
                            ? `Ends ${formatDate(e.valid_until)}`
                            : "—"}
                      </td>
                      <td>{e.paid.map((p) => formatMinor(p.cents, p.currency)).join(", ") || "—"}</td>
                      <td>
                        {renewing && live && !e.cancel_at_period_end && (
                          <button
                            className="btn small"
                            type="button"
                            disabled={cancel.isPending}
                            onClick={() => {
                              if (
                                window.confirm(
                                  "Cancel at the end of the paid period? It keeps working until then.",
                                )
                              )
                                cancel.mutate({ id: e.id });
                            }}
                          >
                            Cancel
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </>
  );
}

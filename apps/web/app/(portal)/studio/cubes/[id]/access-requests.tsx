"use client";
import { decideAccessInput } from "@memstore/api/schemas";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { type FormEvent, useState } from "react";
import { Field } from "../../../../_components/field";
import { Empty, ErrorBox, formatDate, Loading, StatusBadge } from "../../../../_components/feedback";
import { PricingFields, pricingFrom } from "../../../../_components/pricing-fields";
import { itemsOf, PAGED, ShowMore } from "../../../../_components/show-more";
import { formValues, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";
import type { AppRouter } from "../../../../../src/trpc/root.ts";

type Request = inferRouterOutputs<AppRouter>["commerce"]["incomingAccessRequests"]["items"][number];

/** The requests to a listing sold on request, newest first: who asks, why, and the answer. */
export function AccessRequests({ listingId }: { listingId: string }) {
  const trpc = useTRPC();
  const requests = useInfiniteQuery(
    trpc.commerce.incomingAccessRequests.infiniteQueryOptions({ id: listingId, limit: 20 }, PAGED),
  );
  const rows = itemsOf(requests.data);
  return (
    <section className="stack" aria-labelledby="access-requests">
      <h3 id="access-requests" style={{ margin: 0 }}>
        Access requests
      </h3>
      <ErrorBox error={requests.error} />
      {requests.isPending ? (
        <Loading what="access requests" />
      ) : rows.length === 0 ? (
        <Empty title="No requests yet">
          <p>Buyers who find the listing in the store ask here; you will hear of each one.</p>
        </Empty>
      ) : (
        rows.map((r) => <RequestCard key={r.id} request={r} />)
      )}
      <ShowMore list={requests} what="requests" />
    </section>
  );
}

function RequestCard({ request: r }: { request: Request }) {
  return (
    <article className="card stack" data-testid="access-request">
      <div className="spread small">
        <strong>{r.organization.name}</strong>
        <span className="muted">
          {formatDate(r.created_at)} <StatusBadge status={r.state} />
        </span>
      </div>
      <p style={{ margin: 0, whiteSpace: "pre-wrap" }}>{r.message}</p>
      {r.purpose && (
        <p className="small muted" style={{ margin: 0 }}>
          Purpose: {r.purpose}
        </p>
      )}
      {r.state === "pending" ? (
        <Decision requestId={r.id} />
      ) : (
        <p className="small" style={{ margin: 0 }}>
          {r.state === "approved" ? "Approved" : "Denied"} {formatDate(r.decided_at)}
          {r.reason ? `: ${r.reason}` : ""}
          {r.offer_id ? " · with a private offer" : ""}
        </p>
      )}
    </article>
  );
}

/** Approve (with a private offer's price, if chosen) or deny, with a reason the buyer reads. */
function Decision({ requestId }: { requestId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = {
    onSuccess: () => queryClient.invalidateQueries(trpc.commerce.incomingAccessRequests.pathFilter()),
  };
  const approve = useMutation(trpc.commerce.approveAccess.mutationOptions(refresh));
  const deny = useMutation(trpc.commerce.denyAccess.mutationOptions(refresh));
  const [offer, setOffer] = useState(false);
  const { errors, submit } = useSchemaForm(decideAccessInput);
  // The offer's fields are the listing's price fields: their errors under the names those use.
  const offerErrors = Object.fromEntries(
    Object.entries(errors).map(([path, message]) => [path.replace(/^offer\./, ""), message]),
  );

  async function onSubmit(event: FormEvent<HTMLFormElement>, decision: "approve" | "deny") {
    const v = formValues(event.currentTarget);
    const values = {
      ...(v.reason?.trim() && { reason: v.reason.trim() }),
      ...(decision === "approve" && offer && { offer: { pricing: pricingFrom(v) } }),
    };
    const mutation = decision === "approve" ? approve : deny;
    await submit(values, (value) => mutation.mutateAsync({ request_id: requestId, ...value }));
  }

  return (
    <form
      className="form"
      noValidate
      aria-label="Answer the request"
      onSubmit={(event) => {
        event.preventDefault();
        // Which of the two buttons sent the form.
        const submitter = event.nativeEvent.submitter;
        void onSubmit(event, submitter?.getAttribute("value") === "deny" ? "deny" : "approve");
      }}
    >
      <Field label="Reason" error={errors.reason} hint="Optional; the buyer reads it.">
        {(a) => <input {...a} name="reason" />}
      </Field>
      <label className="row small">
        <input type="checkbox" checked={offer} onChange={(e) => setOffer(e.target.checked)} />
        Approve with a private offer at its own price
      </label>
      {offer && <PricingFields errors={offerErrors} />}
      <ErrorBox error={approve.error ?? deny.error} />
      <div className="row">
        <button className="btn primary" type="submit" value="approve" disabled={approve.isPending}>
          Approve
        </button>
        <button className="btn danger" type="submit" value="deny" disabled={deny.isPending}>
          Deny
        </button>
      </div>
    </form>
  );
}

"use client";
import { accessRequestInput } from "@memstore/api/schemas";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent, ReactNode } from "react";
import { Field } from "../../../_components/field";
import { ErrorBox, formatDate, Loading } from "../../../_components/feedback";
import { formValues, useSchemaForm } from "../../../_lib/form";
import { useTRPC } from "../../../_lib/trpc";

/**
 * A listing sold on request, seen by a buyer: ask with a message and a purpose, see the request
 * pending or denied (and ask again), and once approved, get it — `children`, the usual buttons.
 */
export function AccessRequestGate({ listingId, children }: { listingId: string; children: ReactNode }) {
  const trpc = useTRPC();
  const requests = useQuery(trpc.store.accessRequests.queryOptions({ listing_id: listingId, limit: 1 }));
  if (!requests.data)
    return requests.error ? <ErrorBox error={requests.error} /> : <Loading what="your access request" />;
  const latest = requests.data.items[0];
  if (latest?.state === "approved") {
    return (
      <>
        <div className="alert ok" role="status" data-testid="access-state">
          Access approved {formatDate(latest.decided_at)}
          {latest.reason ? `: ${latest.reason}` : ""}. You can get it now.
        </div>
        {children}
      </>
    );
  }
  if (latest?.state === "pending") {
    return (
      <div className="alert info" role="status" data-testid="access-state">
        Your request of {formatDate(latest.created_at)} is waiting for the publisher’s answer. You will get it
        here, in your events and by webhook.
      </div>
    );
  }
  return (
    <>
      {latest?.state === "denied" && (
        <div className="alert warn" role="status" data-testid="access-state">
          The publisher denied your request on {formatDate(latest.decided_at)}
          {latest.reason ? `: ${latest.reason}` : ""}. You may ask again.
        </div>
      )}
      <RequestForm listingId={listingId} />
    </>
  );
}

function RequestForm({ listingId }: { listingId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ask = useMutation(
    trpc.store.requestAccess.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.store.accessRequests.pathFilter()),
    }),
  );
  const { errors, submit } = useSchemaForm(accessRequestInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const values = { message: v.message, ...(v.purpose?.trim() && { purpose: v.purpose.trim() }) };
    await submit(values, (value) => ask.mutateAsync({ id: listingId, ...value }));
  }

  return (
    <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Request access">
      <p className="small" style={{ margin: 0 }}>
        The publisher sells this listing on request: tell them who you are and what it is for.
      </p>
      <Field label="Message" error={errors.message}>
        {(a) => <textarea {...a} name="message" />}
      </Field>
      <Field label="Purpose" error={errors.purpose} hint="What your agents will use it for, in a few words.">
        {(a) => <input {...a} name="purpose" />}
      </Field>
      <ErrorBox error={ask.error} />
      <button className="btn primary" type="submit" disabled={ask.isPending}>
        {ask.isPending ? "Sending…" : "Request access"}
      </button>
    </form>
  );
}

"use client";
import { reviewInput } from "@memstore/api/schemas";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ErrorBox, formatDate, Loading } from "../../../_components/feedback";
import { Field } from "../../../_components/field";
import { Stars } from "../../../_components/stars";
import { formValues, useSchemaForm } from "../../../_lib/form";
import { useTRPC } from "../../../_lib/trpc";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../../src/trpc/root.ts";

/** A review as the store's procedure answers it. */
type Review = inferRouterOutputs<AppRouter>["store"]["reviews"]["items"][number];

/**
 * A listing's reviews: each with its rating, the reviewing organisation ("verified holder" while it
 * holds the listing) and the publisher's reply; a form for a buyer who holds it, a reply form for
 * the publisher, and a report button for anyone signed in.
 */
export function Reviews({
  listingId,
  rating,
  canWrite,
  own,
  signedIn,
}: {
  listingId: string;
  rating: { average: number | null; count: number };
  canWrite: boolean;
  own: boolean;
  signedIn: boolean;
}) {
  const trpc = useTRPC();
  const list = useQuery(trpc.store.reviews.queryOptions({ id: listingId, limit: 50 }));
  if (!list.data) return list.error ? <ErrorBox error={list.error} /> : <Loading what="the reviews" />;
  return (
    <section className="card stack" aria-labelledby="reviews-title">
      <div className="spread">
        <h2 id="reviews-title" style={{ margin: 0 }}>
          Reviews
        </h2>
        <span className="row small" data-testid="rating">
          {rating.average !== null ? (
            <>
              <Stars value={rating.average} /> {rating.average.toFixed(1)} · {rating.count} review
              {rating.count === 1 ? "" : "s"}
            </>
          ) : (
            "No reviews yet"
          )}
        </span>
      </div>
      {list.data.items.map((r) => (
        <ReviewItem key={r.id} review={r} listingId={listingId} own={own} signedIn={signedIn} />
      ))}
      {canWrite && (
        <WriteReview listingId={listingId} current={list.data.items.find((r) => r.mine) ?? null} />
      )}
    </section>
  );
}

function ReviewItem({
  review: r,
  listingId,
  own,
  signedIn,
}: {
  review: Review;
  listingId: string;
  own: boolean;
  signedIn: boolean;
}) {
  return (
    <article
      className="stack"
      aria-label={`Review: ${r.title}`}
      style={{ borderTop: "1px solid var(--line)" }}
    >
      <div className="spread">
        <strong>
          <Stars value={r.rating} /> {r.title}
        </strong>
        <span className="small muted">
          {r.organization.name}
          {r.verified_holder && <span className="badge ok"> verified holder</span>} ·{" "}
          {formatDate(r.updated_at)}
          {r.reports ? ` · reported by ${r.reports}` : ""}
        </span>
      </div>
      <p style={{ margin: 0, whiteSpace: "pre-wrap" }}>{r.body}</p>
      {r.reply && (
        <blockquote className="small" style={{ margin: 0 }}>
          <strong>The publisher replied:</strong> {r.reply.body}
        </blockquote>
      )}
      {own && !r.reply && <ReplyForm reviewId={r.id} listingId={listingId} />}
      {signedIn && !own && !r.mine && <ReportButton reviewId={r.id} />}
    </article>
  );
}

/** The organisation's review: a new one, or its current one to edit (`current`). */
function WriteReview({ listingId, current }: { listingId: string; current: Review | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const write = useMutation(
    trpc.store.writeReview.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.store.reviews.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.store.listing.queryKey({ id: listingId }) }),
        ]),
    }),
  );
  const { errors, submit } = useSchemaForm(reviewInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    await submit({ rating: Number(v.rating), title: v.title, body: v.body }, (value) =>
      write.mutateAsync({ id: listingId, ...value }),
    );
  }

  return (
    <form className="form" onSubmit={(event) => void onSubmit(event)} aria-label="Write a review" noValidate>
      <h3 style={{ margin: 0 }}>
        {current ? "Edit your organisation's review" : "Your organisation's review"}
      </h3>
      <Field label="Rating" error={errors.rating}>
        {(a) => (
          <select {...a} name="rating" defaultValue={String(current?.rating ?? 5)}>
            {[5, 4, 3, 2, 1].map((n) => (
              <option key={n} value={n}>
                {n} star{n === 1 ? "" : "s"}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Review title" error={errors.title}>
        {(a) => <input {...a} name="title" defaultValue={current?.title ?? ""} />}
      </Field>
      <Field
        label="Review"
        error={errors.body}
        hint="Organisations that held it a week or made 100 agent calls to it may review it."
      >
        {(a) => <textarea {...a} name="body" defaultValue={current?.body ?? ""} style={{ minHeight: 80 }} />}
      </Field>
      <ErrorBox error={write.error} />
      {write.isSuccess && (
        <div className="alert ok" role="status">
          Review saved.
        </div>
      )}
      <div className="row">
        <button className="btn primary" type="submit" disabled={write.isPending}>
          {write.isPending ? "Saving…" : "Save review"}
        </button>
      </div>
    </form>
  );
}

function ReplyForm({ reviewId, listingId }: { reviewId: string; listingId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const reply = useMutation(
    trpc.store.replyToReview.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({
          queryKey: trpc.store.reviews.queryKey({ id: listingId, limit: 50 }),
        }),
    }),
  );
  const [text, setText] = useState("");
  return (
    <form
      className="row"
      aria-label="Reply to this review"
      onSubmit={(event) => {
        event.preventDefault();
        if (text.trim()) reply.mutate({ id: reviewId, body: text });
      }}
    >
      <input
        aria-label="Your reply"
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="Reply once, as the publisher"
        style={{ flex: 1 }}
      />
      <button className="btn" type="submit" disabled={reply.isPending}>
        Reply
      </button>
      <ErrorBox error={reply.error} />
    </form>
  );
}

function ReportButton({ reviewId }: { reviewId: string }) {
  const trpc = useTRPC();
  const report = useMutation(trpc.store.reportReview.mutationOptions());
  if (report.isSuccess)
    return (
      <span className="small muted" role="status">
        Reported. Thank you.
      </span>
    );
  return (
    <div className="row">
      <button
        className="btn small"
        type="button"
        onClick={() => {
          const reason = window.prompt("Why does this review break the rules?");
          if (reason?.trim()) report.mutate({ id: reviewId, reason: reason.trim() });
        }}
      >
        Report
      </button>
      <ErrorBox error={report.error} />
    </div>
  );
}

"use client";
import { tryListingInput } from "@memstore/api/schemas";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Field } from "../../../_components/field";
import { ErrorBox } from "../../../_components/feedback";
import { formValues, useSchemaForm } from "../../../_lib/form";
import { useTRPC } from "../../../_lib/trpc";

/**
 * Try before you buy: a few questions (one per line, up to 20 a day), each answered with whether
 * the pack holds an answer, the section and a short snippet — marked for the asking organisation.
 */
export function TryIt({ listingId }: { listingId: string }) {
  const trpc = useTRPC();
  const ask = useMutation(trpc.store.tryListing.mutationOptions());
  const { errors, submit } = useSchemaForm(tryListingInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const lines = (formValues(event.currentTarget).questions ?? "")
      .split("\n")
      .map((q) => q.trim())
      .filter(Boolean);
    await submit({ questions: lines }, (value) => ask.mutateAsync({ id: listingId, ...value }));
  }

  return (
    <section className="card stack" aria-labelledby="try-it">
      <h2 id="try-it" style={{ margin: 0 }}>
        Try it
      </h2>
      <form className="form" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Try before you buy">
        <Field
          label="Your questions"
          error={errors.questions}
          hint="One per line; up to 20 a day for your organisation."
        >
          {(a) => <textarea {...a} name="questions" rows={3} />}
        </Field>
        <ErrorBox error={ask.error} />
        <button className="btn" type="submit" disabled={ask.isPending}>
          {ask.isPending ? "Asking…" : "Ask the pack"}
        </button>
      </form>
      {ask.data && (
        <>
          <ol className="stack small" style={{ margin: 0, paddingLeft: "1.1rem" }} aria-label="Answers">
            {ask.data.answers.map((a, i) => (
              <li key={i} data-testid="try-answer">
                <strong>{a.question}</strong>
                {a.answered ? (
                  <>
                    {" "}
                    <span className="badge ok">answered</span> {a.section && <em>{a.section}</em>}
                    <blockquote style={{ margin: "0.3rem 0" }}>{a.snippet}</blockquote>
                  </>
                ) : (
                  <>
                    {" "}
                    <span className="badge">no answer in this pack</span>
                  </>
                )}
              </li>
            ))}
          </ol>
          <p className="small muted" style={{ margin: 0 }}>
            {ask.data.questions_left_today} questions left today (v{ask.data.version}).
          </p>
        </>
      )}
    </section>
  );
}

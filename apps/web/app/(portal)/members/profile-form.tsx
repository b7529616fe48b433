"use client";
import { profileInput } from "@memstore/api/schemas";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { Field } from "../../_components/field";
import { ErrorBox, Loading } from "../../_components/feedback";
import { formValues, useSchemaForm } from "../../_lib/form";
import { useTRPC } from "../../_lib/trpc";

/** What the organisation's public publisher page says of it: its name, about and website. */
export function ProfileForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const profile = useQuery(trpc.organization.profile.queryOptions());
  const update = useMutation(
    trpc.organization.updateProfile.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.organization.profile.queryKey() }),
    }),
  );
  const { errors, submit } = useSchemaForm(profileInput);
  if (!profile.data)
    return profile.error ? <ErrorBox error={profile.error} /> : <Loading what="the profile" />;
  const p = profile.data;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    await submit({ name: v.name, about: v.about, website: v.website ? v.website : null }, (value) =>
      update.mutateAsync(value),
    );
  }

  return (
    <form
      className="card form"
      onSubmit={(event) => void onSubmit(event)}
      aria-labelledby="profile-title"
      noValidate
    >
      <h2 id="profile-title" style={{ margin: 0 }}>
        Publisher page
      </h2>
      <p className="hint" style={{ margin: 0 }}>
        What buyers see of your organisation on{" "}
        <Link href={`/store/publishers/${p.slug}`}>its public page</Link> once it lists something in the
        store.
      </p>
      <Field label="Organisation name" error={errors.name}>
        {(a) => <input {...a} name="name" defaultValue={p.name} />}
      </Field>
      <Field label="About" error={errors.about} hint="Markdown. Who you are and what you publish.">
        {(a) => <textarea {...a} name="about" defaultValue={p.about} style={{ minHeight: 90 }} />}
      </Field>
      <Field label="Website" error={errors.website} hint="An https:// address.">
        {(a) => <input {...a} name="website" defaultValue={p.website ?? ""} inputMode="url" />}
      </Field>
      <ErrorBox error={update.error} />
      {update.isSuccess && (
        <div className="alert ok" role="status">
          Profile saved.
        </div>
      )}
      <div className="row">
        <button className="btn primary" type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save profile"}
        </button>
      </div>
    </form>
  );
}

"use client";
import { createCubeInput } from "@memstore/api/schemas";
import { CUBE_TYPE_DEFINITIONS, CUBE_TYPES, type CubeType, slugify } from "@memstore/core";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Field } from "../../../../_components/field";
import { ErrorBox } from "../../../../_components/feedback";
import { formValues, splitTags, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";
import type { WizardCube } from "./wizard";

/** Step 1: what is published — its type, title, slug, description and tags. */
export function CubeStep({ onDone }: { onDone: (cube: WizardCube) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.publishing.createCube.mutationOptions());
  const { errors, submit } = useSchemaForm(createCubeInput);
  const [slug, setSlug] = useState("");
  const [type, setType] = useState<CubeType>("plaintext");
  const [slugTouched, setSlugTouched] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const values = {
      type: v.type,
      slug: v.slug,
      title: v.title,
      description: v.description || undefined,
      tags: splitTags(v.tags),
    };
    const cube = await submit(values, (value) => create.mutateAsync(value));
    if (cube) onDone({ id: cube.id, slug: cube.slug, title: cube.title, type: cube.type });
  }

  return (
    <form className="form" onSubmit={(event) => void onSubmit(event)} noValidate>
      <h2 style={{ marginTop: 0 }}>What are you publishing?</h2>
      <Field label="Type" hint={CUBE_TYPE_DEFINITIONS[type].description}>
        {(a) => (
          <select
            {...a}
            name="type"
            value={type}
            onChange={(e) => setType(CUBE_TYPES.find((t) => t === e.target.value) ?? "plaintext")}
          >
            {CUBE_TYPES.map((t) => (
              <option key={t} value={t}>
                {CUBE_TYPE_DEFINITIONS[t].label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Title" error={errors.title}>
        {(a) => (
          <input
            {...a}
            name="title"
            onChange={(e) => {
              if (!slugTouched) setSlug(slugify(e.target.value));
            }}
          />
        )}
      </Field>
      <Field
        label="Slug"
        error={errors.slug}
        hint="Lowercase letters, digits and dashes; part of the cube's address."
      >
        {(a) => (
          <input
            {...a}
            name="slug"
            value={slug}
            onChange={(e) => {
              setSlugTouched(true);
              setSlug(e.target.value);
            }}
          />
        )}
      </Field>
      <Field label="Description" error={errors.description} hint="Markdown. Shown on the listing page.">
        {(a) => <textarea {...a} name="description" />}
      </Field>
      <Field label="Tags" error={errors.tags} hint="Comma separated, e.g. tax, law, germany.">
        {(a) => <input {...a} name="tags" />}
      </Field>
      <ErrorBox error={create.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create cube"}
        </button>
      </div>
    </form>
  );
}

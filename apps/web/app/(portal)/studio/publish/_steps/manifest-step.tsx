"use client";
import { createVersionInput } from "@memstore/api/schemas";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Field } from "../../../../_components/field";
import { ErrorBox } from "../../../../_components/feedback";
import { formValues, splitTags, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";
import type { WizardCube, WizardVersion } from "./wizard";

/** Step 2: the version number and its manifest's governance (visibility, purposes, license) and description. */
export function ManifestStep({ cube, onDone }: { cube: WizardCube; onDone: (v: WizardVersion) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.publishing.createVersion.mutationOptions());
  const { errors, submit } = useSchemaForm(createVersionInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const num = (s: string | undefined) => (s ? Number(s) : undefined);
    const input = {
      version: v.version,
      manifest: {
        changelog: v.changelog || undefined,
        governance: {
          visibility: v.visibility,
          purposes: splitTags(v.purposes),
          ttl_days: num(v.ttl_days),
          license: {
            calls_per_day: num(v.calls_per_day),
            // Asked as a percentage, kept as a share (0 < x ≤ 1).
            max_share_per_day: v.max_share_percent ? Number(v.max_share_percent) / 100 : undefined,
            valid_days: num(v.valid_days),
            redistribution: v.redistribution === "on",
          },
        },
        descriptive: {
          language: v.language || undefined,
          semantic_type: v.semantic_type || undefined,
          source: v.source || undefined,
        },
      },
    };
    const done = await submit(input, async (value) => {
      const created = await create.mutateAsync({ cube_id: cube.id, ...value });
      return { created, governance: value.manifest?.governance };
    });
    if (!done) return;
    onDone({
      id: done.created.id,
      version: done.created.version,
      visibility: done.governance?.visibility ?? "public",
      license: done.governance?.license ?? {},
    });
  }

  const e = (path: string) => errors[path];
  return (
    <form className="form" onSubmit={(event) => void onSubmit(event)} noValidate>
      <h2 style={{ marginTop: 0 }}>Version and governance</h2>
      <Field label="Version" error={e("version")} hint="Semantic version, e.g. 1.0.0.">
        {(a) => <input {...a} name="version" defaultValue="1.0.0" />}
      </Field>
      <Field label="Changelog" error={e("manifest.changelog")}>
        {(a) => (
          <textarea {...a} name="changelog" placeholder="What is in this version" style={{ minHeight: 70 }} />
        )}
      </Field>
      <fieldset className="stack">
        <legend>Governance</legend>
        <Field label="Visibility" error={e("manifest.governance.visibility")}>
          {(a) => (
            <select {...a} name="visibility" defaultValue="public">
              <option value="public">Public — listed in the store</option>
              <option value="unlisted">Unlisted — only with the link</option>
              <option value="org">Organisation — your members only</option>
              <option value="private">Private</option>
            </select>
          )}
        </Field>
        <Field
          label="Allowed purposes"
          error={e("manifest.governance.purposes")}
          hint="Comma separated, e.g. research, support."
        >
          {(a) => <input {...a} name="purposes" />}
        </Field>
        <Field
          label="Memory TTL (days)"
          error={e("manifest.governance.ttl_days")}
          hint="Leave empty for no expiry."
        >
          {(a) => <input {...a} name="ttl_days" inputMode="numeric" />}
        </Field>
        <Field label="Agent calls per day" error={e("manifest.governance.license.calls_per_day")}>
          {(a) => <input {...a} name="calls_per_day" inputMode="numeric" />}
        </Field>
        <Field
          label="Daily share per organisation (%)"
          error={e("manifest.governance.license.max_share_per_day")}
          hint="The most of the pack one buyer's agents may receive in any 24 hours. Leave empty for no cap."
        >
          {(a) => <input {...a} name="max_share_percent" inputMode="decimal" />}
        </Field>
        <Field label="License validity (days)" error={e("manifest.governance.license.valid_days")}>
          {(a) => <input {...a} name="valid_days" inputMode="numeric" />}
        </Field>
        <label className="row">
          <input type="checkbox" name="redistribution" /> Subscribers may redistribute
        </label>
      </fieldset>
      <fieldset className="stack">
        <legend>Description</legend>
        <Field label="Language" error={e("manifest.descriptive.language")} hint="e.g. en, de.">
          {(a) => <input {...a} name="language" />}
        </Field>
        <Field
          label="Semantic type"
          error={e("manifest.descriptive.semantic_type")}
          hint="e.g. handbook, faq, policy."
        >
          {(a) => <input {...a} name="semantic_type" />}
        </Field>
        <Field label="Source" error={e("manifest.descriptive.source")}>
          {(a) => <input {...a} name="source" />}
        </Field>
      </fieldset>
      <ErrorBox error={create.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending}>
          {create.isPending ? "Saving…" : "Continue to upload"}
        </button>
      </div>
    </form>
  );
}

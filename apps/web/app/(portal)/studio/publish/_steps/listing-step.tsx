"use client";
import { createListingInput } from "@memstore/api/schemas";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { ErrorBox } from "../../../../_components/feedback";
import { PricingFields, pricingFrom } from "../../../../_components/pricing-fields";
import { MarksField } from "../../../../_components/marks-field";
import { PreviewField } from "../../../../_components/preview-field";
import { AccessField } from "../../../../_components/access-field";
import { VisibilityField } from "../../../../_components/visibility-field";
import { formValues, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";
import type { WizardCube, WizardVersion } from "./wizard";

/** Step 5: a listing for the ready version, with its price and terms, published to the store. */
export function ListingStep({ cube, version }: { cube: WizardCube; version: WizardVersion }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.publishing.createListing.mutationOptions());
  const publish = useMutation(trpc.publishing.publishListing.mutationOptions());
  const { errors, submit } = useSchemaForm(createListingInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    const values = {
      cube_id: cube.id,
      visibility: v.visibility,
      access: v.access,
      // Read from the digits typed: no floating point between a price and its cents.
      pricing: pricingFrom(v),
      terms: version.license,
      canaries: v.canaries === "on",
      ...(cube.type === "plaintext" && { marks: v.marks, preview: v.preview === "on" }),
    };
    await submit(values, async (value) => {
      const listing = await create.mutateAsync(value);
      return publish.mutateAsync({ id: listing.id });
    });
  }

  if (publish.data) {
    return (
      <div className="stack">
        <div className="alert ok" role="status">
          Listed. {cube.title} is in the store.
        </div>
        <div className="row">
          <Link className="btn primary" href={`/store/${publish.data.id}`}>
            View the listing
          </Link>
          <Link className="btn" href="/studio">
            Back to the studio
          </Link>
        </div>
      </div>
    );
  }
  return (
    <form className="form" onSubmit={(event) => void onSubmit(event)} noValidate>
      <h2 style={{ marginTop: 0 }}>List it in the store</h2>
      <VisibilityField error={errors.visibility} current={version.visibility} />
      <AccessField error={errors.access} current="open" />
      <PricingFields errors={errors} />
      {cube.type === "plaintext" && <MarksField error={errors.marks} />}
      {cube.type === "plaintext" && <PreviewField current />}
      <label className="check small">
        <input type="checkbox" name="canaries" />
        <span>
          <strong>Canary facts</strong> — serve each subscriber a few invented facts of its own, so a copy
          that went through a model&apos;s paraphrase can still be traced to it. Subscribers see that the
          listing carries them.
        </span>
      </label>
      <ErrorBox error={create.error ?? publish.error} />
      <div className="row">
        <button className="btn primary" type="submit" disabled={create.isPending || publish.isPending}>
          {create.isPending || publish.isPending ? "Listing…" : "Create and publish listing"}
        </button>
      </div>
    </form>
  );
}

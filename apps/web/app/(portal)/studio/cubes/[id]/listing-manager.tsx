"use client";
import { updateListingInput } from "@memstore/api/schemas";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { ErrorBox, Loading, priceLabel, StatusBadge } from "../../../../_components/feedback";
import { PricingFields, pricingFrom } from "../../../../_components/pricing-fields";
import { MarksField } from "../../../../_components/marks-field";
import { VisibilityField } from "../../../../_components/visibility-field";
import { AccessField } from "../../../../_components/access-field";
import { PreviewField } from "../../../../_components/preview-field";
import { AccessRequests } from "./access-requests";
import { formValues, useSchemaForm } from "../../../../_lib/form";
import { useTRPC } from "../../../../_lib/trpc";
import { ListingStep } from "../../publish/_steps/listing-step";
import type { WizardCube, WizardVersion } from "../../publish/_steps/wizard";

/**
 * The cube's place in the store, on its page: its listing's price, visibility and status to edit —
 * a new price reaches new buyers at once and subscriptions at their next renewal — or, for a cube
 * with a ready version and no listing (a wizard left at its last step), the listing form itself.
 */
export function ListingManager({ cube, ready }: { cube: WizardCube; ready: WizardVersion | null }) {
  const trpc = useTRPC();
  const listings = useQuery(trpc.publishing.listings.queryOptions({ limit: 100 }));
  if (!listings.data)
    return listings.error ? <ErrorBox error={listings.error} /> : <Loading what="the listing" />;
  const listing = listings.data.items.find((l) => l.cube_id === cube.id);
  if (listing) return <EditListing listing={listing} text={cube.type === "plaintext"} />;
  if (!ready)
    return <p className="muted">Once a version is ready, you can list the cube in the store from here.</p>;
  return (
    <section className="card" aria-label="List in the store">
      <ListingStep cube={cube} version={ready} />
    </section>
  );
}

type OwnListing = {
  id: string;
  status: string;
  visibility: string;
  access: string;
  preview: boolean;
  marks: string;
  pricing: { model: string; amount_cents?: number; currency?: string };
};

/** `text`: a plaintext cube's listing, whose served text carries fingerprint marks. */
function EditListing({ listing, text }: { listing: OwnListing; text: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.publishing.listings.queryKey() });
  const update = useMutation(trpc.commerce.updateListing.mutationOptions({ onSuccess: refresh }));
  const status = useMutation(trpc.commerce.listingStatus.mutationOptions({ onSuccess: refresh }));
  const { errors, submit } = useSchemaForm(updateListingInput);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const v = formValues(event.currentTarget);
    // A plaintext listing's served text carries marks, and buyers may try it first.
    const textual = text ? { marks: v.marks, preview: v.preview === "on" } : {};
    await submit(
      { pricing: pricingFrom(v), visibility: v.visibility, access: v.access, ...textual },
      (changes) => update.mutateAsync({ id: listing.id, changes }),
    );
  }

  const retired = listing.status === "retired";
  return (
    <section className="card stack" aria-labelledby="listing-title">
      <div className="spread">
        <h2 id="listing-title" style={{ margin: 0 }}>
          Listing · {priceLabel(listing.pricing)}
        </h2>
        <span className="row">
          <StatusBadge status={listing.status} />
          <Link href={`/store/${listing.id}`}>View in the store</Link>
        </span>
      </div>
      {!retired && (
        <form
          className="form"
          onSubmit={(event) => void onSubmit(event)}
          noValidate
          aria-label="Edit listing"
        >
          <VisibilityField error={errors.visibility} current={listing.visibility} />
          <AccessField error={errors.access} current={listing.access} key={listing.access} />
          <PricingFields errors={errors} current={listing.pricing} key={JSON.stringify(listing.pricing)} />
          {text && <MarksField error={errors.marks} current={listing.marks} key={listing.marks} />}
          {text && <PreviewField current={listing.preview} key={String(listing.preview)} />}
          <p className="hint">
            A new price applies to new buyers at once and to running subscriptions at their next renewal.
          </p>
          <ErrorBox error={update.error} />
          {update.isSuccess && (
            <div className="alert ok" role="status">
              Saved.
            </div>
          )}
          <div className="row">
            <button className="btn primary" type="submit" disabled={update.isPending}>
              {update.isPending ? "Saving…" : "Save listing"}
            </button>
          </div>
        </form>
      )}
      <div className="row">
        {listing.status === "published" && (
          <button
            className="btn"
            type="button"
            onClick={() => status.mutate({ id: listing.id, transition: "suspend" })}
          >
            Suspend
          </button>
        )}
        {listing.status === "suspended" && (
          <button
            className="btn"
            type="button"
            onClick={() => status.mutate({ id: listing.id, transition: "resume" })}
          >
            Resume
          </button>
        )}
        {!retired && listing.status !== "draft" && (
          <button
            className="btn danger"
            type="button"
            onClick={() => {
              if (
                window.confirm(
                  "Retire this listing? No one can buy it again and subscriptions stop renewing.",
                )
              )
                status.mutate({ id: listing.id, transition: "retire" });
            }}
          >
            Retire
          </button>
        )}
      </div>
      <ErrorBox error={status.error} />
      {listing.access === "request" && <AccessRequests listingId={listing.id} />}
    </section>
  );
}

"use client";
import { installInput } from "@memstore/api/schemas";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { type FormEvent, useContext, useEffect, useState } from "react";
import { type Validation, ValidationBadge } from "../../../_components/checks";
import { AccessRequestGate } from "./access-request";
import { TryIt } from "./try-it";
import { Reviews } from "./reviews";
import { RatingLine } from "../../../_components/stars";
import { EvaluationBadge } from "../../../_components/evaluation";
import { Field } from "../../../_components/field";
import { FingerprintNote } from "../../../_components/fingerprint-note";
import { ErrorBox, formatBytes, formatDate, Loading, priceLabel } from "../../../_components/feedback";
import { Markdown } from "../../../_components/markdown";
import { VisitorContext } from "../../../_components/shell";
import { RunList } from "../../../_components/run-report";
import { formValues, validate } from "../../../_lib/form";
import { useTRPC } from "../../../_lib/trpc";
import type { AppRouter } from "../../../../src/trpc/root.ts";

/** Where a checkout sent the buyer back: `?checkout=paid` or `?checkout=canceled`. */
function useCheckoutReturn(): string | null {
  const [state, setState] = useState<string | null>(null);
  useEffect(() => setState(new URLSearchParams(window.location.search).get("checkout")), []);
  return state;
}

export function ListingDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const returned = useCheckoutReturn();
  const visitor = useContext(VisitorContext);
  const listing = useQuery({
    ...trpc.store.listing.queryOptions({ id }),
    // Back from paying: the entitlement arrives with the provider's webhook, moments later.
    refetchInterval: (query) =>
      returned === "paid" && !(query.state.data?.entitled && !query.state.data.entitled.revoked_at)
        ? 1000
        : false,
  });
  const acquire = useMutation(
    trpc.store.acquire.mutationOptions({
      onSuccess: (result) => {
        // A paid listing is bought on the provider's checkout page, which sends the buyer back here.
        if ("checkout" in result && result.checkout)
          return window.location.assign(result.checkout.checkout_url);
        return queryClient.invalidateQueries({ queryKey: trpc.store.listing.queryKey({ id }) });
      },
    }),
  );
  if (!listing.data)
    return listing.error ? <ErrorBox error={listing.error} /> : <Loading what="the listing" />;
  const l = listing.data;
  const terms = l.terms as {
    calls_per_day?: number;
    valid_days?: number;
    redistribution?: boolean;
    max_share_per_day?: number;
  };
  const live = l.entitled && ["active", "trialing", "past_due"].includes(l.entitled.state);
  const get = (offerId?: string) => {
    const here = `${window.location.origin}/store/${id}`;
    acquire.mutate({
      id,
      ...(offerId && { offer_id: offerId }),
      success_url: `${here}?checkout=paid`,
      cancel_url: `${here}?checkout=canceled`,
    });
  };
  const buttons = (
    <>
      {l.offers.map((o) => (
        <button key={o.id} className="btn primary" type="button" onClick={() => get(o.id)}>
          Get at your offer: {priceLabel(o.pricing as { model: string })}
        </button>
      ))}
      <button className="btn primary" type="button" onClick={() => get()} disabled={acquire.isPending}>
        {acquire.isPending ? "Getting…" : l.pricing.model === "free" ? "Get" : "Buy"}
      </button>
    </>
  );
  return (
    <>
      <ListingHead listing={l} />
      <div className="two-col">
        <div className="stack">
          <section className="card" aria-labelledby="about">
            <h2 id="about" style={{ marginTop: 0 }}>
              About
            </h2>
            {l.cube.description ? (
              <Markdown source={l.cube.description} />
            ) : (
              <p className="muted">No description.</p>
            )}
          </section>
          <VersionList versions={l.versions} />
          <Reviews
            listingId={id}
            rating={l.rating}
            canWrite={Boolean(live) && !l.own}
            own={l.own}
            signedIn={!visitor}
          />
        </div>
        <aside className="stack">
          <section className="card stack" aria-labelledby="get">
            <h2 id="get" style={{ margin: 0 }}>
              {priceLabel(l.pricing)}
            </h2>
            <ul className="small" style={{ margin: 0, paddingLeft: "1.1rem" }}>
              <li>
                {terms.calls_per_day ? `${terms.calls_per_day} agent calls per day` : "No daily call limit"}
              </li>
              {terms.max_share_per_day && (
                <li>
                  At most {Math.round(terms.max_share_per_day * 1000) / 10} % of the pack per organisation a
                  day
                </li>
              )}
              <li>{terms.valid_days ? `Valid ${terms.valid_days} days from purchase` : "No expiry"}</li>
              <li>{terms.redistribution ? "Redistribution allowed" : "No redistribution"}</li>
              <li data-testid="marks-cost">
                <FingerprintNote type={l.cube.type} density={l.marks} cost={l.versions[0]?.marks ?? null} />
              </li>
              {l.canaries && <li>Your copy carries canary facts unique to your organisation</li>}
              {l.access === "request" && <li>Sold on request: the publisher approves each buyer</li>}
            </ul>
            {returned === "paid" && !live && (
              <div className="alert info" role="status">
                Payment received. Your entitlement arrives in a moment…
              </div>
            )}
            {returned === "canceled" && !live && (
              <div className="alert info" role="status">
                Checkout canceled: nothing was charged.
              </div>
            )}
            {l.own ? (
              <div className="alert info">
                Your organisation publishes this listing. Install it into a vault below, no purchase needed,
                or <Link href="/studio">manage it in the studio</Link>.
              </div>
            ) : live ? (
              <div className="alert ok">Your organisation has this listing.</div>
            ) : !visitor ? (
              l.access === "request" ? (
                <AccessRequestGate listingId={id}>{buttons}</AccessRequestGate>
              ) : (
                buttons
              )
            ) : (
              <Link className="btn primary" href={`/signin?next=${encodeURIComponent(`/store/${id}`)}`}>
                Sign in to get it
              </Link>
            )}
            <ErrorBox error={acquire.error} />
          </section>
          {!visitor && !live && l.preview && l.cube.type === "plaintext" && <TryIt listingId={id} />}
          {(live || l.own) && <InstallForm listingId={id} latest={l.latest_version} />}
        </aside>
      </div>
    </>
  );
}

type Listing = inferRouterOutputs<AppRouter>["store"]["listing"];

/** The listing's title, tags, publisher (linked to its page), version, size, installs and rating. */
function ListingHead({ listing: l }: { listing: Listing }) {
  return (
    <div className="page-head">
      <div>
        <div className="row">
          <span className="badge accent">{l.cube.type}</span>
          {l.cube.tags.map((t) => (
            <span key={t} className="badge">
              #{t}
            </span>
          ))}
        </div>
        <h1>{l.cube.title}</h1>
        <p>
          by{" "}
          <Link href={`/store/publishers/${l.publisher.slug}`}>
            <strong>{l.publisher.name}</strong>
          </Link>{" "}
          · latest v{l.latest_version ?? "—"} · {formatBytes(l.size)} · {l.installs} install
          {l.installs === 1 ? "" : "s"} · <RatingLine rating={l.rating} />
        </p>
      </div>
    </div>
  );
}

function InstallForm({ listingId, latest }: { listingId: string; latest: string | null }) {
  const trpc = useTRPC();
  const vaults = useQuery(trpc.vaults.list.queryOptions({ limit: 200 }));
  const install = useMutation(trpc.vaults.install.mutationOptions());
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const major = latest?.split(".")[0];

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const { vault_id, version_policy } = formValues(event.currentTarget);
    const checked = validate(installInput, { listing_id: listingId, version_policy });
    if (!vault_id) return setErrors({ vault_id: "choose a vault" });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    install.mutate({ vault_id, ...checked.value });
  }

  if (vaults.data && vaults.data.items.length === 0) {
    return (
      <div className="card">
        <p style={{ marginTop: 0 }}>To install, first create a vault for your agents.</p>
        <Link className="btn" href="/vaults">
          Create a vault
        </Link>
      </div>
    );
  }
  return (
    <form className="card form" onSubmit={onSubmit} aria-labelledby="install-title">
      <h3 id="install-title">Install into vault…</h3>
      <Field label="Vault" error={errors.vault_id}>
        {(a) => (
          <select {...a} name="vault_id">
            {vaults.data?.items.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Version policy"
        error={errors.version_policy}
        hint="Which new versions this install follows."
      >
        {(a) => (
          <select {...a} name="version_policy" defaultValue={major ? `^${major}.0.0` : "latest"}>
            <option value="latest">Always the latest</option>
            {major && <option value={`^${major}.0.0`}>Compatible updates (^{major}.0.0)</option>}
            {latest && <option value={latest}>Pinned to v{latest}</option>}
          </select>
        )}
      </Field>
      <button className="btn primary" type="submit" disabled={install.isPending}>
        {install.isPending ? "Installing…" : "Install"}
      </button>
      <ErrorBox error={install.error} />
      {install.data && (
        <div className="alert ok" role="status">
          Installed v{install.data.version} —{" "}
          <Link href={`/vaults/${install.data.vault_id}`}>open the vault</Link>
        </div>
      )}
    </form>
  );
}

type Desensitisation = {
  entities: Record<string, { found: number; operator: string }>;
  residual_risk: string | null;
} | null;

/** What a buyer checks first: that personal data was handled, that it works on its model, and that the platform signed it. */
function ProvenanceBadges({
  version,
}: {
  version: { signature: string | null; desensitisation: unknown; validation: Validation };
}) {
  const d = version.desensitisation as Desensitisation;
  const handled = d ? Object.entries(d.entities).filter(([, e]) => e.operator !== "keep") : [];
  const found = handled.reduce((n, [, e]) => n + e.found, 0);
  return (
    <div className="row small" data-testid="provenance-badges">
      {d && (
        <span
          className={`badge ${d.residual_risk === "none" ? "ok" : "warn"}`}
          title={
            handled.map(([type, e]) => `${type}: ${e.found} ${e.operator}`).join("\n") || "nothing found"
          }
        >
          Desensitised · {found} value{found === 1 ? "" : "s"} handled · residual risk{" "}
          {d.residual_risk ?? "unknown"}
        </span>
      )}
      <ValidationBadge validation={version.validation} />
      {version.signature && (
        <span className="badge ok" title="The platform's ed25519 signature over this version's manifest">
          Signed manifest
        </span>
      )}
    </div>
  );
}

type ListingVersion = inferRouterOutputs<AppRouter>["store"]["listing"]["versions"][number];

/** The listing's versions, newest first: what changed, its provenance badges and its processing reports. */
function VersionList({ versions }: { versions: ListingVersion[] }) {
  return (
    <section aria-labelledby="versions">
      <h2 id="versions">Versions</h2>
      <div className="stack">
        {versions.map((v) => (
          <article key={v.version} className="card stack" data-testid="listing-version">
            <div className="spread">
              <strong>v{v.version}</strong>
              <span className="muted small">
                {v.parent ? `follows v${v.parent}` : "first version"} · {formatDate(v.ready_at)} ·{" "}
                {formatBytes(v.size)}
              </span>
            </div>
            {v.yanked && (
              <p className="small" style={{ margin: 0 }} data-testid="listing-tombstone">
                <span className="badge bad">yanked</span> {formatDate(v.yanked.at)}: {v.yanked.reason}. It can
                no longer be installed.
              </p>
            )}
            {v.changelog && <p style={{ margin: 0 }}>{v.changelog}</p>}
            <ProvenanceBadges version={v} />
            <EvaluationBadge evaluation={v.evaluation} />
            <details>
              <summary className="small">Processing reports</summary>
              <RunList runs={v.runs} />
            </details>
          </article>
        ))}
      </div>
    </section>
  );
}

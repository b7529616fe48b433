"use client";
import { CUBE_TYPE_DEFINITIONS, CUBE_TYPES } from "@memstore/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, Suspense } from "react";
import { CheckBadges } from "../../_components/checks";
import { markdownExcerpt } from "../../_components/markdown";
import { Empty, ErrorBox, formatBytes, Loading, priceLabel } from "../../_components/feedback";
import { formValues } from "../../_lib/form";
import { itemsOf, PAGED, ShowMore } from "../../_components/show-more";
import { useTRPC } from "../../_lib/trpc";
import { RatingLine } from "../../_components/stars";

const SORTS = [
  { value: "relevance", label: "Most relevant" },
  { value: "installs", label: "Most installed" },
  { value: "rating", label: "Best rated" },
  { value: "newest", label: "Newest" },
] as const;

function Store() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const filters = {
    q: params.get("q") ?? undefined,
    type: CUBE_TYPES.find((t) => t === params.get("type")),
    tag: params.get("tag") || undefined,
    free: (params.get("free") || undefined) as "true" | "false" | undefined,
    sort: SORTS.find((o) => o.value === params.get("sort"))?.value,
    min_rating: Number(params.get("min_rating")) || undefined,
    publisher: params.get("publisher") || undefined,
  };
  const results = useInfiniteQuery(trpc.store.search.infiniteQueryOptions({ ...filters, limit: 24 }, PAGED));

  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values = Object.entries(formValues(event.currentTarget)).filter(([, v]) => v);
    router.push(`/store?${new URLSearchParams(values).toString()}`);
  }

  const cards = itemsOf(results.data);
  // An empty answer to a query offers the tags nearest it.
  const suggested = results.data?.pages[0]?.suggested_tags ?? [];
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Store</h1>
          <p>Memory published by experts, ready to install into your vaults.</p>
        </div>
      </div>
      <form className="card row" onSubmit={onSearch} role="search" style={{ marginBottom: "1.25rem" }}>
        <label className="sr-only" htmlFor="store-q">
          Search the store
        </label>
        <input
          id="store-q"
          name="q"
          defaultValue={filters.q}
          placeholder="Search by topic, words or meaning…"
          style={{ flex: "3 1 260px" }}
        />
        <label className="sr-only" htmlFor="store-type">
          Type
        </label>
        <select id="store-type" name="type" defaultValue={filters.type ?? ""} style={{ flex: "1 1 140px" }}>
          <option value="">All types</option>
          {CUBE_TYPES.map((t) => (
            <option key={t} value={t}>
              {CUBE_TYPE_DEFINITIONS[t].shortLabel}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="store-tag">
          Tag
        </label>
        <input
          id="store-tag"
          name="tag"
          defaultValue={filters.tag}
          placeholder="Tag"
          style={{ flex: "1 1 120px" }}
        />
        <label className="sr-only" htmlFor="store-free">
          Price
        </label>
        <select id="store-free" name="free" defaultValue={filters.free ?? ""} style={{ flex: "1 1 120px" }}>
          <option value="">Free and paid</option>
          <option value="true">Free</option>
          <option value="false">Paid</option>
        </select>
        <label className="sr-only" htmlFor="store-sort">
          Sort
        </label>
        <select id="store-sort" name="sort" defaultValue={filters.sort ?? ""} style={{ flex: "1 1 130px" }}>
          <option value="">{filters.q ? "Most relevant" : "Newest"}</option>
          {SORTS.filter(
            (o) => o.value !== (filters.q ? "relevance" : "newest") && (filters.q || o.value !== "relevance"),
          ).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor="store-rating">
          Rating
        </label>
        <select
          id="store-rating"
          name="min_rating"
          defaultValue={filters.min_rating ? String(filters.min_rating) : ""}
          style={{ flex: "1 1 120px" }}
        >
          <option value="">Any rating</option>
          {[4, 3, 2].map((n) => (
            <option key={n} value={n}>
              {n}★ and up
            </option>
          ))}
        </select>
        {filters.publisher && <input type="hidden" name="publisher" value={filters.publisher} />}
        <button className="btn primary" type="submit">
          Search
        </button>
      </form>
      <ErrorBox error={results.error} />
      {results.isPending ? (
        <Loading what="listings" />
      ) : cards.length === 0 ? (
        <Empty title={filters.q ? `Nothing in the store answers “${filters.q}”` : "Nothing matches yet"}>
          {suggested.length > 0 && (
            <p data-testid="suggested-tags">
              Nearest topics:{" "}
              {suggested.map((t) => (
                <Link
                  key={t}
                  className="badge"
                  href={`/store?tag=${encodeURIComponent(t)}`}
                  style={{ marginRight: 4 }}
                >
                  #{t}
                </Link>
              ))}
            </p>
          )}
          <p>
            Try fewer words or clear the filters — or publish the first cube on this topic from the Studio.
          </p>
        </Empty>
      ) : (
        <div className="grid" aria-label="Listings">
          {cards.map((c) => (
            <article key={c.id} className="card stack" data-testid="listing-card">
              <div className="spread">
                <span className="badge accent">{c.cube.type}</span>
                <span className="badge">{priceLabel(c.pricing as { model: string })}</span>
              </div>
              <h3 style={{ margin: 0 }}>
                <Link href={`/store/${c.id}`} style={{ color: "inherit" }}>
                  {c.cube.title}
                </Link>
              </h3>
              <p className="muted small" style={{ margin: 0 }}>
                by <Link href={`/store/publishers/${c.publisher.slug}`}>{c.publisher.name}</Link>
                {" · "}
                <RatingLine rating={c.rating} />
              </p>
              {c.cube.description && (
                <p className="small" style={{ margin: 0 }}>
                  {markdownExcerpt(c.cube.description, 160)}
                </p>
              )}
              <div className="row small muted">
                <span>v{c.latest_version ?? "—"}</span>·<span>{formatBytes(c.size)}</span>·
                <span>
                  {c.installs} install{c.installs === 1 ? "" : "s"}
                </span>
              </div>
              <CheckBadges checks={c.checks} />
              <div className="row">
                {c.cube.tags.slice(0, 5).map((t) => (
                  <span key={t} className="badge">
                    #{t}
                  </span>
                ))}
              </div>
            </article>
          ))}
        </div>
      )}
      <ShowMore list={results} what="listings" />
    </>
  );
}

export default function StorePage() {
  return (
    <Suspense>
      <Store />
    </Suspense>
  );
}

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
import { FilterInput, FilterSelect } from "../../_components/filter-controls";
import { RatingLine } from "../../_components/stars";

const SORTS = [
  { value: "relevance", label: "Most relevant" },
  { value: "installs", label: "Most installed" },
  { value: "rating", label: "Best rated" },
  { value: "newest", label: "Newest" },
] as const;

type Filters = {
  q?: string;
  type?: (typeof CUBE_TYPES)[number];
  tag?: string;
  free?: "true" | "false";
  sort?: (typeof SORTS)[number]["value"];
  min_rating?: number;
  publisher?: string;
};

/** The store's search: words, type, tag, price, order and rating, kept in the address. */
function SearchForm({ filters }: { filters: Filters }) {
  const router = useRouter();
  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values = Object.entries(formValues(event.currentTarget)).filter(([, v]) => v);
    router.push(`/store?${new URLSearchParams(values).toString()}`);
  }
  return (
    <form className="card row" onSubmit={onSearch} role="search" style={{ marginBottom: "1.25rem" }}>
      <FilterInput
        id="store-q"
        name="q"
        label="Search the store"
        width="3 1 260px"
        value={filters.q}
        placeholder="Search by topic, words or meaning…"
      />
      <FilterSelect
        id="store-type"
        name="type"
        label="Type"
        width="1 1 140px"
        value={filters.type ?? ""}
        options={[
          ["", "All types"],
          ...CUBE_TYPES.map((t) => [t, CUBE_TYPE_DEFINITIONS[t].shortLabel] as const),
        ]}
      />
      <FilterInput
        id="store-tag"
        name="tag"
        label="Tag"
        width="1 1 120px"
        value={filters.tag}
        placeholder="Tag"
      />
      <FilterSelect
        id="store-free"
        name="free"
        label="Price"
        width="1 1 120px"
        value={filters.free ?? ""}
        options={[
          ["", "Free and paid"],
          ["true", "Free"],
          ["false", "Paid"],
        ]}
      />
      <FilterSelect
        id="store-sort"
        name="sort"
        label="Sort"
        width="1 1 130px"
        value={filters.sort ?? ""}
        // The default order first: relevance with words to search by, else the newest.
        options={[
          ["", filters.q ? "Most relevant" : "Newest"],
          ...SORTS.filter((o) => o.value !== "relevance" && (filters.q || o.value !== "newest")).map(
            (o) => [o.value, o.label] as const,
          ),
        ]}
      />
      <FilterSelect
        id="store-rating"
        name="min_rating"
        label="Rating"
        width="1 1 120px"
        value={filters.min_rating ? String(filters.min_rating) : ""}
        options={[["", "Any rating"], ...[4, 3, 2].map((n) => [String(n), `${n}★ and up`] as const)]}
      />
      {filters.publisher && <input type="hidden" name="publisher" value={filters.publisher} />}
      <button className="btn primary" type="submit">
        Search
      </button>
    </form>
  );
}

function Store() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const filters: Filters = {
    q: params.get("q") ?? undefined,
    type: CUBE_TYPES.find((t) => t === params.get("type")),
    tag: params.get("tag") || undefined,
    free: (params.get("free") || undefined) as "true" | "false" | undefined,
    sort: SORTS.find((o) => o.value === params.get("sort"))?.value,
    min_rating: Number(params.get("min_rating")) || undefined,
    publisher: params.get("publisher") || undefined,
  };
  const results = useInfiniteQuery(trpc.store.search.infiniteQueryOptions({ ...filters, limit: 24 }, PAGED));

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
      <SearchForm filters={filters} />
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

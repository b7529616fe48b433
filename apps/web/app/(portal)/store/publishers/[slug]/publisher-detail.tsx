"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ErrorBox, formatDate, Loading, priceLabel } from "../../../../_components/feedback";
import { Markdown } from "../../../../_components/markdown";
import { RatingLine } from "../../../../_components/stars";
import { useTRPC } from "../../../../_lib/trpc";

/** A publisher's public page: who it is, its listings in the store, their installs and rating. */
export function PublisherDetail({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const page = useQuery(trpc.store.publisher.queryOptions({ slug }));
  if (!page.data) return page.error ? <ErrorBox error={page.error} /> : <Loading what="the publisher" />;
  const p = page.data;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>{p.name}</h1>
          <p>
            Publisher since {formatDate(p.joined_at)} · {p.listings.length} listing
            {p.listings.length === 1 ? "" : "s"} · {p.installs} install{p.installs === 1 ? "" : "s"} ·{" "}
            <RatingLine rating={p.rating} />
            {p.website && (
              <>
                {" · "}
                <a href={p.website} rel="noopener noreferrer nofollow" target="_blank">
                  {new URL(p.website).host}
                </a>
              </>
            )}
          </p>
        </div>
      </div>
      {p.about ? (
        <section className="card" aria-label="About">
          <Markdown source={p.about} allowHtml={false} />
        </section>
      ) : null}
      <div className="grid" aria-label="Listings">
        {p.listings.map((c) => (
          <article key={c.id} className="card stack" data-testid="publisher-listing">
            <div className="spread">
              <span className="badge accent">{c.cube.type}</span>
              <span className="badge">{priceLabel(c.pricing as { model: string })}</span>
            </div>
            <h3 style={{ margin: 0 }}>
              <Link href={`/store/${c.id}`}>{c.cube.title}</Link>
            </h3>
            <p className="small muted" style={{ margin: 0 }}>
              {c.installs} install{c.installs === 1 ? "" : "s"} · <RatingLine rating={c.rating} />
            </p>
          </article>
        ))}
      </div>
    </>
  );
}

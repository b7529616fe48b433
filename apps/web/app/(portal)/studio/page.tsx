"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DailyChart } from "../../_components/chart";
import { Empty, ErrorBox, formatDate, Loading, priceLabel, StatusBadge } from "../../_components/feedback";
import { itemsOf, PAGED, ShowMore } from "../../_components/show-more";
import { useTRPC } from "../../_lib/trpc";

export default function StudioPage() {
  const trpc = useTRPC();
  const cubes = useInfiniteQuery(trpc.publishing.cubes.infiniteQueryOptions({ limit: 50 }, PAGED));
  const listings = useInfiniteQuery(trpc.publishing.listings.infiniteQueryOptions({ limit: 50 }, PAGED));
  const cubeRows = itemsOf(cubes.data);
  const listingRows = itemsOf(listings.data);
  const stats = useQuery(trpc.usage.publisher.queryOptions({ days: 30 }));
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Studio</h1>
          <p>Your cubes, their versions and the listings that sell them.</p>
        </div>
        <Link className="btn primary" href="/studio/publish">
          Publish a cube
        </Link>
      </div>
      <ErrorBox error={cubes.error ?? listings.error ?? stats.error} />
      {stats.data && listingRows.length > 0 && (
        <div className="grid" style={{ gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))" }}>
          <DailyChart
            title="Live installs of your listings"
            days={stats.data.days}
            series={[{ name: "installs", values: stats.data.installs }]}
            unit="installs"
          />
          <DailyChart
            title="Agent calls on your cubes"
            days={stats.data.days}
            series={[{ name: "calls", values: stats.data.calls }]}
            unit="calls"
          />
        </div>
      )}
      <h2>Cubes</h2>
      {cubes.isPending ? (
        <Loading what="cubes" />
      ) : cubeRows.length === 0 ? (
        <Empty title="No cubes yet">
          <p>
            Publish your first MemCube: upload Markdown or JSONL, and MemStore chunks, embeds and lists it.{" "}
            <Link href="/studio/publish">Start the wizard</Link>.
          </p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Cube</th>
                <th>Type</th>
                <th>Tags</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {cubeRows.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link href={`/studio/cubes/${c.id}`}>{c.title}</Link>
                    <div className="muted small">{c.slug}</div>
                  </td>
                  <td>{c.type}</td>
                  <td>{c.tags.join(", ") || "—"}</td>
                  <td>{formatDate(c.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ShowMore list={cubes} what="cubes" />
      <h2>Listings</h2>
      {listings.isPending ? (
        <Loading what="listings" />
      ) : listingRows.length === 0 ? (
        <Empty title="Nothing listed">
          <p>A cube with a ready version can be listed in the store at the end of the publish wizard.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Cube</th>
                <th>Status</th>
                <th>Visibility</th>
                <th>Price</th>
                <th>Installs</th>
              </tr>
            </thead>
            <tbody>
              {listingRows.map((l) => (
                <tr key={l.id}>
                  <td>
                    <Link href={`/store/${l.id}`}>{l.cube.title}</Link>
                  </td>
                  <td>
                    <StatusBadge status={l.status} />
                  </td>
                  <td>{l.visibility}</td>
                  <td>{priceLabel(l.pricing as { model: string })}</td>
                  <td>{l.installs}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ShowMore list={listings} what="listings" />
    </>
  );
}

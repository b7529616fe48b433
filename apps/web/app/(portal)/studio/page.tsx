"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DailyChart } from "../../_components/chart";
import { DataTable } from "../../_components/data-table";
import { Empty, ErrorBox, formatDate, priceLabel, StatusBadge } from "../../_components/feedback";
import { itemsOf, PAGED } from "../../_components/show-more";
import { useTRPC } from "../../_lib/trpc";

export default function StudioPage() {
  const trpc = useTRPC();
  const cubes = useInfiniteQuery(trpc.publishing.cubes.infiniteQueryOptions({ limit: 50 }, PAGED));
  const listings = useInfiniteQuery(trpc.publishing.listings.infiniteQueryOptions({ limit: 50 }, PAGED));
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
      <DataTable
        list={cubes}
        what="cubes"
        rowKey={(c) => c.id}
        empty={
          <Empty title="No cubes yet">
            <p>
              Publish your first MemCube: upload Markdown or JSONL, and MemStore chunks, embeds and lists it.{" "}
              <Link href="/studio/publish">Start the wizard</Link>.
            </p>
          </Empty>
        }
        columns={[
          {
            header: "Cube",
            cell: (c) => (
              <>
                <Link href={`/studio/cubes/${c.id}`}>{c.title}</Link>
                <div className="muted small">{c.slug}</div>
              </>
            ),
          },
          { header: "Type", cell: (c) => c.type },
          { header: "Tags", cell: (c) => c.tags.join(", ") || "—" },
          { header: "Created", cell: (c) => formatDate(c.created_at) },
        ]}
      />
      <h2>Listings</h2>
      <DataTable
        list={listings}
        what="listings"
        rowKey={(l) => l.id}
        empty={
          <Empty title="Nothing listed">
            <p>A cube with a ready version can be listed in the store at the end of the publish wizard.</p>
          </Empty>
        }
        columns={[
          { header: "Cube", cell: (l) => <Link href={`/store/${l.id}`}>{l.cube.title}</Link> },
          { header: "Status", cell: (l) => <StatusBadge status={l.status} /> },
          { header: "Visibility", cell: (l) => l.visibility },
          { header: "Price", cell: (l) => priceLabel(l.pricing) },
          { header: "Installs", cell: (l) => l.installs },
        ]}
      />
    </>
  );
}

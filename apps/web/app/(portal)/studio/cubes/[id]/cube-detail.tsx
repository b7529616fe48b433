"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ErrorBox, formatBytes, formatDate, Loading, StatusBadge } from "../../../../_components/feedback";
import { RunReport } from "../../../../_components/run-report";
import { useTRPC } from "../../../../_lib/trpc";

export function CubeDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const cube = useQuery(trpc.publishing.cube.queryOptions({ cube_id: id }));
  const versions = useQuery(trpc.publishing.versions.queryOptions({ cube_id: id, limit: 200 }));
  if (!cube.data) return cube.error ? <ErrorBox error={cube.error} /> : <Loading what="the cube" />;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="small">
            <Link href="/studio">Studio</Link> / {cube.data.slug}
          </p>
          <h1>{cube.data.title}</h1>
          <p>
            {cube.data.type} · created {formatDate(cube.data.created_at)}
          </p>
        </div>
        <Link className="btn primary" href={`/studio/publish?cube=${id}`}>
          New version
        </Link>
      </div>
      <ErrorBox error={versions.error} />
      <h2>Versions</h2>
      <div className="stack">
        {versions.data?.items.map((v) => (
          <article key={v.id} className="card stack" data-testid="cube-version">
            <div className="spread">
              <strong>v{v.version}</strong>
              <span className="row small muted">
                <StatusBadge status={v.status} /> {formatBytes(v.size)} · {formatDate(v.created_at)}
              </span>
            </div>
            {v.runs.map((r) => (
              <div key={`${r.kind}-${r.started_at}`} className="stage">
                <span>
                  {r.kind} <StatusBadge status={r.status} />
                </span>
                <RunReport report={r.report} />
              </div>
            ))}
          </article>
        ))}
      </div>
    </>
  );
}

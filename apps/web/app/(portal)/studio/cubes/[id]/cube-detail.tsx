"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import {
  Empty,
  ErrorBox,
  formatBytes,
  formatDate,
  Loading,
  StatusBadge,
} from "../../../../_components/feedback";
import { RunList } from "../../../../_components/run-report";
import { itemsOf, PAGED, ShowMore } from "../../../../_components/show-more";
import { useTRPC } from "../../../../_lib/trpc";
import type { WizardVersion } from "../../publish/_steps/wizard";
import { ListingManager } from "./listing-manager";
import { YankControl } from "./yank-control";
import { HeldNotice } from "./held-notice";
import { QuestionResults } from "../../../../_components/evaluation";

export function CubeDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const cube = useQuery(trpc.publishing.cube.queryOptions({ cube_id: id }));
  const versions = useInfiniteQuery(
    trpc.publishing.versions.infiniteQueryOptions({ cube_id: id, limit: 20 }, PAGED),
  );
  if (!cube.data) return cube.error ? <ErrorBox error={cube.error} /> : <Loading what="the cube" />;
  const readyVersion = itemsOf(versions.data).find((v) => v.status === "ready");
  const governance = (readyVersion?.manifest as { governance?: Partial<WizardVersion> } | undefined)
    ?.governance;
  const ready: WizardVersion | null = readyVersion
    ? {
        id: readyVersion.id,
        version: readyVersion.version,
        visibility: governance?.visibility ?? "public",
        license: governance?.license ?? {},
      }
    : null;
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
      {versions.data && <ListingManager cube={cube.data} ready={ready} />}
      <h2>Versions</h2>
      <div className="stack">
        {versions.isPending && <Loading what="versions" />}
        {versions.data && itemsOf(versions.data).length === 0 && (
          <Empty title="No versions yet">
            <p>
              Upload the first one with <Link href={`/studio/publish?cube=${id}`}>New version</Link>.
            </p>
          </Empty>
        )}
        {itemsOf(versions.data).map((v) => (
          <article key={v.id} className="card stack" data-testid="cube-version">
            <div className="spread">
              <strong>v{v.version}</strong>
              <span className="row small muted">
                <StatusBadge status={v.status} /> {formatBytes(v.size)} · {formatDate(v.created_at)}
              </span>
            </div>
            <HeldNotice cubeId={id} version={v.version} held={v.held} />
            {v.evaluation && <QuestionResults evaluation={v.evaluation} />}
            {v.status === "ready" && <YankControl cubeId={id} version={v.version} yanked={v.yanked} />}
            <RunList runs={v.runs} />
          </article>
        ))}
      </div>
      <ShowMore list={versions} what="versions" />
    </>
  );
}

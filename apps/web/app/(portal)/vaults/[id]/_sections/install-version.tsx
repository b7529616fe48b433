"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { ErrorBox, formatDate, Loading } from "../../../../_components/feedback";
import { useTRPC } from "../../../../_lib/trpc";
import type { AppRouter } from "../../../../../src/trpc/root.ts";

type Diff = inferRouterOutputs<AppRouter>["vaults"]["installDiff"];

type Install = {
  id: string;
  version: string;
  update_available: { version: string; allowed_by_policy: boolean } | null;
  notice?: { version: string; reason: string; severity: string };
};

/** The version an install holds, the update waiting for it, and a yank's notice if there is one. */
export function InstallVersion({ vaultId, install }: { vaultId: string; install: Install }) {
  const update = install.update_available;
  return (
    <>
      v{install.version}
      {update && (
        <div className="small" data-testid="update-available">
          v{update.version} available{update.allowed_by_policy ? "" : " (outside the policy)"}
          <InstallDiff vaultId={vaultId} installId={install.id} to={update.version} />
        </div>
      )}
      {install.notice && (
        <div className="small badge bad" data-testid="install-notice">
          v{install.notice.version} was yanked ({install.notice.severity}): {install.notice.reason}
        </div>
      )}
    </>
  );
}

/** The versions an install held, oldest first, read when opened. */
export function InstallHistory({ vaultId, installId }: { vaultId: string; installId: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const history = useQuery({
    ...trpc.vaults.installHistory.queryOptions({ vault_id: vaultId, install_id: installId }),
    enabled: open,
  });
  return (
    <details className="small" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>History</summary>
      <ol className="install-history">
        {history.data?.items.map((h) => (
          <li key={h.from}>
            v{h.version} · {formatDate(h.from)} → {h.to ? formatDate(h.to) : "now"} · {h.moved_by.kind}
          </li>
        ))}
      </ol>
    </details>
  );
}

/** What the update changes, read when opened: changelogs, sections, chunks and the checks' verdicts. */
function InstallDiff({ vaultId, installId, to }: { vaultId: string; installId: string; to: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const diff = useQuery({
    ...trpc.vaults.installDiff.queryOptions({ vault_id: vaultId, install_id: installId, to }),
    enabled: open,
  });
  return (
    <details data-testid="install-diff" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>What changes</summary>
      {diff.data ? <DiffBody diff={diff.data} /> : <ErrorBox error={diff.error} />}
      {open && diff.isPending && <Loading what="the changes" />}
    </details>
  );
}

function DiffBody({ diff }: { diff: Diff }) {
  const { added, removed, changed, unchanged } = diff.chunks;
  return (
    <div className="stack" style={{ gap: "0.3rem" }}>
      <ul style={{ margin: 0, paddingLeft: "1.1rem" }}>
        {diff.changelog.map((c) => (
          <li key={c.version}>
            <strong>v{c.version}</strong>: {c.changelog ?? "no changelog"}
          </li>
        ))}
      </ul>
      {(["added", "changed", "removed"] as const).map((change) => {
        const titles = diff.sections.filter((x) => x.change === change).map((x) => x.title);
        if (titles.length === 0) return null;
        const shown = titles.slice(0, SECTIONS_SHOWN);
        return (
          <p key={change} style={{ margin: 0 }}>
            <span className={`badge ${SECTION_BADGE[change]}`}>
              {titles.length} section{titles.length === 1 ? "" : "s"} {change}
            </span>{" "}
            {shown.join("; ")}
            {titles.length > shown.length && `; and ${titles.length - shown.length} more`}
          </p>
        );
      })}
      <p style={{ margin: 0 }}>
        Chunks: {added} added, {removed} removed, {changed} changed, {unchanged} unchanged
      </p>
      {diff.reports.desensitise && (
        <p style={{ margin: 0 }}>
          Desensitisation: {desensitised(diff.reports.desensitise.from)} →{" "}
          {desensitised(diff.reports.desensitise.to)}
        </p>
      )}
      {diff.reports.validation && (
        <p style={{ margin: 0 }}>
          Validation: {validated(diff.reports.validation.from)} → {validated(diff.reports.validation.to)}
        </p>
      )}
    </div>
  );
}

const SECTION_BADGE = { added: "ok", removed: "bad", changed: "warn" } as const;
/** Section titles named per kind of change; the rest are counted. */
const SECTIONS_SHOWN = 5;

/** A desensitisation report in words: how many values it handled and the risk it left. */
function desensitised(report: unknown): string {
  if (!report) return "none";
  const r = report as { entities?: Record<string, { found?: number }>; residual_risk?: string };
  const found = Object.values(r.entities ?? {}).reduce((n, e) => n + (e.found ?? 0), 0);
  return `${found} value${found === 1 ? "" : "s"} handled, residual risk ${r.residual_risk ?? "unknown"}`;
}

/** A validation report in words: run on the base model (passed or not), or checked statically. */
function validated(report: unknown): string {
  if (!report) return "none";
  const run = (report as { run?: { skipped?: string; passed?: boolean } }).run;
  if (!run || run.skipped !== undefined) return "checked statically";
  return run.passed ? "passed on its base model" : "failed on its base model";
}

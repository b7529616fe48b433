"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatDate } from "../../../../_components/feedback";
import { useTRPC } from "../../../../_lib/trpc";

type Install = {
  id: string;
  version: string;
  update_available: { version: string; allowed_by_policy: boolean } | null;
  notice?: { version: string; reason: string; severity: string };
};

/** The version an install holds, the update waiting for it, and a yank's notice if there is one. */
export function InstallVersion({ install }: { install: Install }) {
  const update = install.update_available;
  return (
    <>
      v{install.version}
      {update && (
        <div className="small" data-testid="update-available">
          v{update.version} available{update.allowed_by_policy ? "" : " (outside the policy)"}
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

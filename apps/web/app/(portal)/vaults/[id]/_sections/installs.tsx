"use client";
import { CUBE_TYPE_DEFINITIONS, type CubeType } from "@memstore/core";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { DataTable } from "../../../../_components/data-table";
import { Empty, ErrorBox, StatusBadge } from "../../../../_components/feedback";
import { PAGED } from "../../../../_components/show-more";
import { useTRPC } from "../../../../_lib/trpc";
import { InstallHistory, InstallVersion } from "./install-version";

/** What is installed in the vault: version, policy and state, downloads, and upgrade, pin, uninstall. */
export function Installs({ vaultId }: { vaultId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const installs = useInfiniteQuery(
    trpc.vaults.installs.infiniteQueryOptions({ vault_id: vaultId, limit: 50 }, PAGED),
  );
  const refresh = { onSuccess: () => queryClient.invalidateQueries(trpc.vaults.installs.pathFilter()) };
  const upgrade = useMutation(trpc.vaults.upgrade.mutationOptions(refresh));
  const uninstall = useMutation(trpc.vaults.uninstall.mutationOptions(refresh));
  const rollback = useMutation(trpc.vaults.rollback.mutationOptions(refresh));
  return (
    <div className="stack">
      <ErrorBox error={installs.error ?? upgrade.error ?? uninstall.error ?? rollback.error} />
      <DataTable
        list={installs}
        what="installs"
        rowKey={(i) => i.id}
        empty={
          <Empty title="Nothing installed">
            <p>
              Find memory in the <Link href="/store">store</Link> and install it here.
            </p>
          </Empty>
        }
        columns={[
          {
            header: "Cube",
            cell: (i) => (
              <>
                <Link href={`/store/${i.listing_id}`}>{i.cube.slug}</Link>
                <div className="muted small">by {i.cube.publisher}</div>
              </>
            ),
          },
          {
            header: "Version",
            cell: (i) => (
              <>
                <InstallVersion vaultId={vaultId} install={i} />
                <InstallHistory vaultId={vaultId} installId={i.id} />
              </>
            ),
          },
          { header: "Policy", cell: (i) => <code>{i.version_policy}</code> },
          { header: "State", cell: (i) => <StatusBadge status={i.state} /> },
          {
            header: "Payload",
            cell: (i) => <CopyLinks vaultId={vaultId} install={i} />,
          },
          {
            header: "Actions",
            cell: (i) => (
              <div className="row">
                <button
                  className="btn small"
                  type="button"
                  onClick={() => upgrade.mutate({ vault_id: vaultId, install_id: i.id })}
                >
                  Upgrade
                </button>
                <button
                  className="btn small"
                  type="button"
                  onClick={() =>
                    upgrade.mutate({ vault_id: vaultId, install_id: i.id, version_policy: i.version })
                  }
                >
                  Pin v{i.version}
                </button>
                <button
                  className="btn small"
                  type="button"
                  onClick={() => rollback.mutate({ vault_id: vaultId, install_id: i.id })}
                >
                  Roll back
                </button>
                <button
                  className="btn small danger"
                  type="button"
                  onClick={() => {
                    if (confirm(`Uninstall ${i.cube.slug} from this vault?`))
                      uninstall.mutate({ vault_id: vaultId, install_id: i.id });
                  }}
                >
                  Uninstall
                </button>
              </div>
            ),
          },
        ]}
      />
    </div>
  );
}

/**
 * Downloads of an installed LoRA pack or KV snapshot: the organisation's fingerprinted copy, in its
 * own dtype or another. Plaintext has none: agents search it.
 */
function CopyLinks({
  vaultId,
  install,
}: {
  vaultId: string;
  install: { id: string; cube: { slug: string; type: CubeType } };
}) {
  const variants = CUBE_TYPE_DEFINITIONS[install.cube.type].variants;
  if (install.cube.type === "plaintext") return <span className="muted small">searched, not downloaded</span>;
  const href = (dtype?: string) =>
    `/api/portal/vaults/${vaultId}/installs/${install.id}/payload${dtype ? `?dtype=${dtype}` : ""}`;
  return (
    <span className="row small">
      <a href={href()} download aria-label={`Download ${install.cube.slug}`}>
        Download
      </a>
      {variants.map((dtype) => (
        <a key={dtype} href={href(dtype)} download aria-label={`Download ${install.cube.slug} as ${dtype}`}>
          as {dtype}
        </a>
      ))}
    </span>
  );
}

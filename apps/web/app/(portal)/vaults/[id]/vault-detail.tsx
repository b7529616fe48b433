"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "../../../_lib/trpc";
import { Explorer } from "./_sections/explorer";
import { Hold } from "./_sections/hold";
import { Installs } from "./_sections/installs";
import { OwnMemories } from "./_sections/own-memories";
import { PrivacySettings } from "./_sections/privacy-settings";
import { RetentionSettings } from "./_sections/retention-settings";

export function VaultDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const vault = useQuery(trpc.vaults.get.queryOptions({ vault_id: id })).data;
  const [tab, setTab] = useState<"installs" | "search" | "memories" | "privacy" | "retention">("installs");
  const tabs = [
    ["installs", "Installs"],
    ["search", "Memory explorer"],
    ["memories", "Own memories"],
    ["privacy", "Privacy"],
    ["retention", "Retention"],
  ] as const;
  return (
    <>
      <div className="page-head">
        <div>
          <p className="small">
            <Link href="/vaults">Vaults</Link>
          </p>
          <h1>{vault?.name ?? "Vault"}</h1>
          <p>
            {vault ? `${vault.namespace_kind} vault · ` : ""}
            <code>{id}</code>
          </p>
        </div>
      </div>
      {vault && <Hold vaultId={id} frozen={vault.frozen} />}
      <div className="row" role="tablist" aria-label="Vault sections" style={{ marginBottom: "1rem" }}>
        {tabs.map(([key, label]) => (
          <button
            key={key}
            role="tab"
            type="button"
            aria-selected={tab === key}
            className={`btn small ${tab === key ? "primary" : ""}`}
            onClick={() => setTab(key)}
          >
            {label}
          </button>
        ))}
      </div>
      {tab === "installs" && <Installs vaultId={id} />}
      {tab === "search" && <Explorer vaultId={id} />}
      {tab === "memories" && <OwnMemories vaultId={id} />}
      {tab === "privacy" && vault && <PrivacySettings vault={vault} />}
      {tab === "retention" && vault && <RetentionSettings vault={vault} />}
    </>
  );
}

import type { ReactNode } from "react";
import { formatMinor } from "@memstore/core";
import { errorMessage } from "../_lib/errors";

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="alert error" role="alert">
      {errorMessage(error)}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

const TONES: Record<string, string> = {
  ready: "ok",
  published: "ok",
  activated: "ok",
  active: "ok",
  succeeded: "ok",
  done: "ok",
  processing: "warn",
  running: "warn",
  draft: "",
  rejected: "bad",
  failed: "bad",
  suspended: "bad",
  archived: "",
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${TONES[status] ?? ""}`}>{status}</span>;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 && u > 0 ? 1 : 0)} ${units[u]}`;
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}

export function priceLabel(p: {
  model: string;
  amount_cents?: number;
  unit_amount_cents?: number;
  currency?: string;
}): string {
  if (p.model === "free") return "Free";
  if (p.model === "usage")
    return `${formatMinor(p.unit_amount_cents ?? 0, p.currency ?? "")} per 1,000 calls`;
  const amount = formatMinor(p.amount_cents ?? 0, p.currency ?? "");
  return p.model === "subscription"
    ? `${amount} / ${(p as { interval?: string }).interval ?? "month"}`
    : amount;
}

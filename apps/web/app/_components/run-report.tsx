import { StatusBadge } from "./feedback";

type Run = { kind: string; status: string; report: unknown; started_at: string };

/** A version's processing runs, each stage with its status and report: the cube and listing pages show them so. */
export function RunList({ runs }: { runs: readonly Run[] }) {
  return runs.map((r) => (
    <div key={`${r.kind}-${r.started_at}`} className="stage">
      <span>
        {r.kind} <StatusBadge status={r.status} />
      </span>
      <RunReport report={r.report} />
    </div>
  ));
}

/** A processing run's report as a person reads it: labelled values, problems listed with where they are. */
export function RunReport({ report }: { report: unknown }) {
  if (!report || typeof report !== "object") return null;
  const entries = Object.entries(report as Record<string, unknown>);
  if (entries.length === 0) return null;
  return (
    <dl
      className="small muted"
      style={{ margin: 0, display: "grid", gridTemplateColumns: "auto 1fr", gap: "0 0.75rem" }}
    >
      {entries.map(([key, value]) => (
        <div key={key} style={{ display: "contents" }}>
          <dt style={{ fontWeight: 600 }}>{key.replaceAll("_", " ")}</dt>
          <dd style={{ margin: 0 }}>{readable(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function readable(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return value.toLocaleString();
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    return value
      .slice(0, 5)
      .map((v) => (typeof v === "object" ? describe(v as Record<string, unknown>) : String(v)))
      .join("; ")
      .concat(value.length > 5 ? ` … and ${value.length - 5} more` : "");
  }
  return describe(value as Record<string, unknown>);
}

function describe(o: Record<string, unknown>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

import type { Subject } from "@memstore/core";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";
import {
  installNames,
  keyNames,
  ownCallsPerDay,
  publisherCallsPerDay,
  publisherInstallSpans,
} from "./queries.ts";

const since = (days: number) => new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);

/** The usage chart: calls per day per install and per key, for the organisation's own agents (the portal's Usage page; the usage report with spend is usage-report.ts). */
export async function usageChart(ctx: AppContext, subject: Subject, days: number) {
  authorize(subject, "usage.read");
  const own = await ownCallsPerDay(ctx.db, { orgId: subject.orgId, since: since(days) });
  const rows = authorizedRows(subject, "usage.read", own, orgOf);
  const installIds = [...new Set(rows.map((r) => r.installId).filter(Boolean))];
  const keyIds = [...new Set(rows.map((r) => r.keyId).filter(Boolean))];
  const installsNamed = await installNames(ctx.db, { installIds });
  const keysNamed = await keyNames(ctx.db, { keyIds });
  const label = (list: Array<{ id: string; slug?: string; name?: string }>, id: string, none: string) =>
    id ? (list.find((x) => x.id === id)?.slug ?? list.find((x) => x.id === id)?.name ?? id) : none;
  return {
    days: dayRange(days),
    by_install: series(rows, (r) => label(installsNamed, r.installId, "own memories")),
    by_key: series(rows, (r) => label(keysNamed, r.keyId, "portal")),
  };
}

/** For the studio: agent calls against the organisation's listings and live installs of them, per day. */
export async function publisherStats(ctx: AppContext, subject: Subject, days: number) {
  authorize(subject, "cube.read");
  const from = since(days);
  const calls = await publisherCallsPerDay(ctx.db, { orgId: subject.orgId, since: from });
  const installRows = await publisherInstallSpans(ctx.db, { orgId: subject.orgId });
  const range = dayRange(days);
  const end = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000);
  return {
    days: range,
    calls: range.map((d) => calls.find((c) => c.day === d)?.calls ?? 0),
    installs: range.map(
      (d) =>
        installRows.filter((i) => i.createdAt < end(d) && (!i.uninstalledAt || i.uninstalledAt >= end(d)))
          .length,
    ),
  };
}

function dayRange(days: number): string[] {
  const first = Date.parse(`${since(days)}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

function series<R extends { day: string; calls: number }>(rows: R[], nameOf: (r: R) => string) {
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const name = nameOf(r);
    const perDay = out.get(name) ?? new Map<string, number>();
    perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.calls);
    out.set(name, perDay);
  }
  return [...out].map(([name, perDay]) => ({ name, calls: Object.fromEntries(perDay) }));
}

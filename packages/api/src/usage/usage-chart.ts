import type { Subject } from "@memstore/core";
import { apiKeys, cubes, installs, listings, sql, usageDaily } from "@memstore/db";
import { and, eq, gte, inArray } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows, orgOf } from "../kernel/authorize.ts";

const since = (days: number) => new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);

/** The usage chart: calls per day per install and per key, for the organisation's own agents (the portal's Usage page; the usage report with spend is usage-report.ts). */
export async function usageChart(ctx: AppContext, subject: Subject, days: number) {
  authorize(subject, "usage.read");
  const own = await ctx.db
    .select({
      orgId: usageDaily.orgId,
      day: usageDaily.day,
      installId: usageDaily.installId,
      keyId: usageDaily.keyId,
      calls: usageDaily.calls,
    })
    .from(usageDaily)
    .where(and(eq(usageDaily.orgId, subject.orgId), gte(usageDaily.day, since(days))));
  const rows = authorizedRows(subject, "usage.read", own, orgOf);
  const installIds = [...new Set(rows.map((r) => r.installId).filter(Boolean))];
  const keyIds = [...new Set(rows.map((r) => r.keyId).filter(Boolean))];
  const installNames = installIds.length
    ? await ctx.db
        .select({ id: installs.id, slug: cubes.slug })
        .from(installs)
        .innerJoin(cubes, eq(cubes.id, installs.cubeId))
        .where(inArray(installs.id, installIds))
    : [];
  const keyNames = keyIds.length
    ? await ctx.db
        .select({ id: apiKeys.id, name: apiKeys.name })
        .from(apiKeys)
        .where(inArray(apiKeys.id, keyIds))
    : [];
  const label = (list: Array<{ id: string; slug?: string; name?: string }>, id: string, none: string) =>
    id ? (list.find((x) => x.id === id)?.slug ?? list.find((x) => x.id === id)?.name ?? id) : none;
  return {
    days: dayRange(days),
    by_install: series(rows, (r) => label(installNames, r.installId, "own memories")),
    by_key: series(rows, (r) => label(keyNames, r.keyId, "portal")),
  };
}

/** For the studio: agent calls against the organisation's listings and live installs of them, per day. */
export async function publisherStats(ctx: AppContext, subject: Subject, days: number) {
  authorize(subject, "cube.read");
  const from = since(days);
  const calls = await ctx.db
    .select({ day: usageDaily.day, calls: sql<number>`sum(${usageDaily.calls})::int` })
    .from(usageDaily)
    .innerJoin(installs, eq(installs.id, usageDaily.installId))
    .innerJoin(listings, eq(listings.id, installs.listingId))
    .where(and(eq(listings.orgId, subject.orgId), gte(usageDaily.day, from)))
    .groupBy(usageDaily.day);
  const installRows = await ctx.db
    .select({ createdAt: installs.createdAt, uninstalledAt: installs.uninstalledAt })
    .from(installs)
    .innerJoin(listings, eq(listings.id, installs.listingId))
    .where(eq(listings.orgId, subject.orgId));
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

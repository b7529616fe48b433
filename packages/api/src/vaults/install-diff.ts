import { type Subject } from "@memstore/core";
import type { RunRow, VersionRow } from "@memstore/db";
import semver from "semver";
import type { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { readyVersions } from "../catalog/queries.ts";
import { runsOfVersions } from "../pipeline/queries.ts";
import { loadInstallToRead, readyNamed } from "./install-history.ts";
import { chunkDigests } from "./queries.ts";
import type { installDiffQuery } from "./schemas.ts";

type Change = "added" | "removed" | "changed";

/**
 * What changed between two ready versions of an install's cube — by default the one it holds and
 * the newest: the changelogs of the versions in between, the sections added, removed and changed,
 * the chunks by fate, and each version's desensitisation and validation reports side by side.
 */
export async function installDiff(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  query: z.infer<typeof installDiffQuery>,
) {
  const install = await loadInstallToRead(ctx, subject, vaultId, installId);
  const ready = await readyVersions(ctx.db, { cubeId: install.cubeId });
  const held = ready.find((v) => v.id === install.versionId);
  const newest = semver.rsort(ready.map((v) => v.version))[0];
  const from = readyNamed(ready, query.from ?? held?.version);
  const to = readyNamed(ready, query.to ?? newest);
  const [before, after] = await Promise.all([
    chunkDigests(ctx.db, { versionId: from.id }),
    chunkDigests(ctx.db, { versionId: to.id }),
  ]);
  const runs = await runsOfVersions(ctx.db, { versionIds: [from.id, to.id] });
  return {
    from: from.version,
    to: to.version,
    changelog: changelogs(ready, from.version, to.version),
    sections: sectionChanges(before, after),
    chunks: chunkChanges(before, after),
    reports: reportsOf(runs, from, to),
  };
}

/** The changelog of every ready version after the lower of the two, up to the higher, newest first. */
function changelogs(ready: VersionRow[], a: string, b: string) {
  const [low, high] = semver.lte(a, b) ? [a, b] : [b, a];
  return ready
    .filter((v) => semver.gt(v.version, low) && semver.lte(v.version, high))
    .sort((x, y) => semver.rcompare(x.version, y.version))
    .map((v) => ({ version: v.version, changelog: v.manifest.changelog ?? null }));
}

type Digest = { heading: string | null; digest: string };

/** Each chunk keyed by its section and its place in it: the same key with other text is a change. */
const keyed = (chunks: Digest[]) => {
  const seen = new Map<string, number>();
  return new Map(
    chunks.map((c) => {
      const section = c.heading ?? "";
      const n = seen.get(section) ?? 0;
      seen.set(section, n + 1);
      return [`${section}\0${n}`, c.digest] as const;
    }),
  );
};

function chunkChanges(before: Digest[], after: Digest[]) {
  const a = keyed(before);
  const b = keyed(after);
  const counts = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  for (const [key, digest] of b) {
    if (!a.has(key)) counts.added++;
    else if (a.get(key) === digest) counts.unchanged++;
    else counts.changed++;
  }
  for (const key of a.keys()) if (!b.has(key)) counts.removed++;
  return counts;
}

/** Sections (a chunk's heading) in either version: added, removed, or holding other text. */
function sectionChanges(before: Digest[], after: Digest[]): Array<{ title: string; change: Change }> {
  const texts = (chunks: Digest[]) => {
    const bySection = new Map<string, string[]>();
    for (const c of chunks) {
      if (c.heading === null) continue;
      bySection.set(c.heading, [...(bySection.get(c.heading) ?? []), c.digest]);
    }
    return new Map([...bySection].map(([title, digests]) => [title, digests.join(",")]));
  };
  const a = texts(before);
  const b = texts(after);
  const changes: Array<{ title: string; change: Change }> = [];
  for (const [title, text] of b) {
    if (!a.has(title)) changes.push({ title, change: "added" });
    else if (a.get(title) !== text) changes.push({ title, change: "changed" });
  }
  for (const title of a.keys()) if (!b.has(title)) changes.push({ title, change: "removed" });
  return changes;
}

/** Each version's desensitisation and validation reports, side by side, where either has one. */
function reportsOf(runs: RunRow[], from: VersionRow, to: VersionRow) {
  const report = (version: VersionRow, kind: string) =>
    runs.find((r) => r.versionId === version.id && r.kind === kind)?.report ?? null;
  const pair = (kind: string) => {
    const [a, b] = [report(from, kind), report(to, kind)];
    return a || b ? { from: a, to: b } : undefined;
  };
  const desensitise = pair("desensitise");
  const validation = pair("validate");
  return { ...(desensitise && { desensitise }), ...(validation && { validation }) };
}

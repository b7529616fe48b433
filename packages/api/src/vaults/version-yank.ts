import { entitlementUsable, type InstallNotice, type Subject } from "@memstore/core";
import { type Executor, type InstallRow, installs, type VaultRow, type VersionRow } from "@memstore/db";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { markUnyanked, markYanked } from "../catalog/yank.ts";
import type { yankVersionInput } from "../catalog/schemas.ts";
import { readyVersions, versionById } from "../catalog/queries.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { authorize } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { versionView } from "../kernel/views.ts";
import { relayEventsAfterCommit } from "../outbox/outbox.ts";
import { runsOfVersions } from "../pipeline/queries.ts";
import { type Acting, versionForPolicy } from "./install-history.ts";
import { afterMove, type InstallMove, installViewOf, moveInstall, writeInstallUpdated } from "./installs.ts";
import { installsConcernedByYanks, liveInstallsOfVersion, lockedInstallById } from "./queries.ts";

/** A yank acts on installs of other organisations: their audit rows name the platform, not the publisher's people. */
const YANK: Acting = { actor: "system:yank", eventSubscriptionId: null };

/**
 * `POST …/versions/{version}/yank`: the version marked (no new install of it, `version.yanked` to the
 * listing's subscribers), then every live install on it settled — moved to the newest non-yanked
 * version its policy allows, else kept with a notice (`normal`) or suspended (`critical`). Answers
 * the version with its tombstone. An install this misses (a crash between) is settled by the sweep.
 */
export async function yankVersion(
  ctx: AppContext,
  subject: Subject,
  at: { cubeId: string; version: string },
  input: z.infer<typeof yankVersionInput>,
) {
  authorize(subject, "cube.write");
  const { version, eventIds } = await ctx.db.transaction((tx) => markYanked(tx, subject, at, input));
  await relayEventsAfterCommit(ctx, eventIds);
  for (const installId of await liveInstallsOfVersion(ctx.db, { versionId: version.id })) {
    await settleInstall(ctx, installId, { auditFrozen: true });
  }
  return versionView(version, await runsOfVersions(ctx.db, { versionIds: [version.id] }));
}

/**
 * `POST …/unyank`: installable again. Installs still on it lose their notice (a critical yank's
 * suspension lifted where the entitlement still holds); those that moved off it stay where they went.
 */
export async function unyankVersion(
  ctx: AppContext,
  subject: Subject,
  at: { cubeId: string; version: string },
) {
  authorize(subject, "cube.write");
  const { version } = await ctx.db.transaction((tx) => markUnyanked(tx, subject, at));
  for (const installId of await liveInstallsOfVersion(ctx.db, { versionId: version.id })) {
    await settleInstall(ctx, installId, { auditFrozen: true });
  }
  return versionView(version, await runsOfVersions(ctx.db, { versionIds: [version.id] }));
}

/**
 * The sweep's part: every live install a yank concerns, settled in batches, each in its own short
 * transaction (so no lock is held across installs). Idempotent: an install already where it should
 * be is read and left alone, and so is one in a frozen vault (its unfreeze settles it). Returns how
 * many it changed. `vaultId` keeps it to one vault's installs.
 */
export async function settleYankedInstalls(
  ctx: AppContext,
  only: { vaultId?: string; batch?: number } = {},
): Promise<number> {
  const batch = only.batch ?? 200;
  let changed = 0;
  let afterId = "";
  for (;;) {
    const ids = await installsConcernedByYanks(ctx.db, { afterId, limit: batch, vaultId: only.vaultId });
    for (const id of ids) if (await settleInstall(ctx, id, { auditFrozen: false })) changed += 1;
    if (ids.length < batch) return changed;
    afterId = ids.at(-1)!;
  }
}

type Settlement =
  | { kind: "move"; to: VersionRow; yanked: VersionRow }
  | { kind: "notice"; notice: InstallNotice }
  | { kind: "lift" }
  | { kind: "none" };

/**
 * Settles one install if it needs it, in its own transaction, then relays what it wrote. An install
 * in a frozen vault is left as it is (with an audit row when `auditFrozen`: the yank itself, not
 * every sweep).
 */
async function settleInstall(
  ctx: AppContext,
  installId: string,
  options: { auditFrozen: boolean },
): Promise<boolean> {
  const done = await ctx.db.transaction(
    async (tx): Promise<{ move: InstallMove } | { eventId: string } | null> => {
      const found = await lockedInstallById(tx, { installId });
      if (!found) return null;
      const plan = await settlementOf(tx, found.install, found.vault);
      if (plan.kind === "none") return null;
      if (found.vault.frozenAt) {
        if (options.auditFrozen) {
          await auditInstall(tx, found.install, "install.skipped_frozen", { would: plan.kind });
        }
        return null;
      }
      if (plan.kind === "move") {
        const by = { kind: "yank" as const, id: plan.yanked.id };
        const to = { version: plan.to, policy: found.install.versionPolicy };
        return {
          move: await moveInstall(tx, YANK, found.vault, found.install, to, { by, change: "moved_by_yank" }),
        };
      }
      const eventId =
        plan.kind === "notice"
          ? await noticeInstall(tx, found.install, plan.notice)
          : await liftNotice(tx, found.install);
      return { eventId };
    },
  );
  if (!done) return false;
  if ("move" in done) await afterMove(ctx, done.move);
  else await relayEventsAfterCommit(ctx, [done.eventId]);
  return true;
}

/** What a yank (or an unyank) asks of an install as things stand. */
async function settlementOf(tx: Executor, install: InstallRow, vault: VaultRow): Promise<Settlement> {
  const held = await versionById(tx, { versionId: install.versionId });
  if (!held) return { kind: "none" };
  if (!held.yankedAt) return install.notice ? { kind: "lift" } : { kind: "none" };
  const fits = (v: VersionRow) =>
    v.embeddingDim === null || vault.embeddingDim === null || v.embeddingDim === vault.embeddingDim;
  const ready = (await readyVersions(tx, { cubeId: install.cubeId })).filter(fits);
  const to = versionForPolicy(install.versionPolicy, ready);
  if (to) return { kind: "move", to, yanked: held };
  if (install.notice?.version === held.version && install.notice.severity === held.yankSeverity) {
    return { kind: "none" };
  }
  const notice: InstallNotice = {
    code: "version_yanked",
    version: held.version,
    reason: held.yankReason ?? "",
    severity: held.yankSeverity ?? "normal",
    at: held.yankedAt.toISOString(),
  };
  return { kind: "notice", notice };
}

/** The install keeps its yanked version with a notice; a critical yank suspends it (search and downloads leave it out). */
async function noticeInstall(tx: Executor, install: InstallRow, notice: InstallNotice) {
  const critical = notice.severity === "critical";
  const [row] = await tx
    .update(installs)
    .set({ notice, ...(critical && { state: "suspended" as const }), updatedAt: new Date() })
    .where(eq(installs.id, install.id))
    .returning();
  const change = critical ? "suspended" : "noticed";
  await auditInstall(tx, row!, critical ? "install.suspended" : "install.noticed", { notice });
  return writeInstallUpdated(tx, YANK, row!, { change, install: await installViewOf(tx, row!) });
}

/**
 * The version it holds is no longer yanked: the notice goes, and a suspension the yank made is
 * lifted unless the organisation's entitlement to the listing has lapsed meanwhile.
 */
async function liftNotice(tx: Executor, install: InstallRow) {
  const suspendedByYank = install.state === "suspended" && install.notice?.severity === "critical";
  const entitlement = await latestEntitlement(tx, { orgId: install.orgId, listingId: install.listingId });
  const resume = suspendedByYank && entitlementUsable(entitlement);
  const [row] = await tx
    .update(installs)
    .set({ notice: null, ...(resume && { state: "activated" as const }), updatedAt: new Date() })
    .where(eq(installs.id, install.id))
    .returning();
  await auditInstall(tx, row!, "install.notice_lifted", { notice: install.notice, resumed: resume });
  return writeInstallUpdated(tx, YANK, row!, { change: "unyanked", install: await installViewOf(tx, row!) });
}

function auditInstall(tx: Executor, install: InstallRow, action: string, data: Record<string, unknown>) {
  return recordAudit(tx, {
    orgId: install.orgId,
    actor: YANK.actor,
    action,
    objectType: "install",
    objectId: install.id,
    data: { vault_id: install.vaultId, ...data },
  });
}

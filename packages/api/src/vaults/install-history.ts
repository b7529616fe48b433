import { AppError, newId, resolveVersionPolicy, type Subject } from "@memstore/core";
import { type Executor, installHistory, type VersionRow } from "@memstore/db";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, loadAuthorized, vaultOf } from "../kernel/authorize.ts";
import { yankView } from "../kernel/views.ts";
import { loadOwnVault } from "./vaults.ts";
import { heldVersions, liveInstall } from "./queries.ts";

/** What moved an install to a version: a person, a key, an event subscription's auto-update, a rollback, a yank. */
export type MovedBy = { kind: "user" | "key" | "auto_update" | "yank" | "rollback"; id: string | null };

/** Who a subject is, as an install's history names the mover. */
export function moverOf(subject: Subject): MovedBy {
  if (subject.kind === "user") return { kind: "user", id: subject.userId };
  if (subject.kind === "api_key") return { kind: "key", id: subject.keyId };
  return { kind: "auto_update", id: subject.eventSubscriptionId };
}

/** Who acts on an install, as its audit row and its `install.updated` event name them. */
export type Acting = { actor: string; eventSubscriptionId: string | null };

export function actingOf(subject: Subject): Acting {
  const eventSubscriptionId = subject.kind === "event_subscription" ? subject.eventSubscriptionId : null;
  return { actor: actorOf(subject), eventSubscriptionId };
}

/** The ready versions an install may move to: those not yanked, nor held by their evaluation. */
export function installable(ready: VersionRow[]) {
  return ready.filter((v) => v.yankedAt === null && v.heldAt === null);
}

/**
 * The newest installable version `policy` allows among `ready`; null when none does. Where only a
 * yanked version would have matched, 409 `version_yanked` says so (when `refuseYanked`).
 */
export function versionForPolicy(policy: string, ready: VersionRow[], refuseYanked = false) {
  const open = installable(ready);
  const chosen = resolveVersionPolicy(
    policy,
    open.map((v) => v.version),
  );
  if (chosen) return open.find((v) => v.version === chosen)!;
  const yanked = resolveVersionPolicy(
    policy,
    ready.map((v) => v.version),
  );
  if (yanked && refuseYanked) refuseYankedVersion(ready.find((v) => v.version === yanked)!);
  return null;
}

function refuseYankedVersion(version: VersionRow): never {
  const yanked = yankView(version)!;
  throw new AppError("version_yanked", `version ${version.version} was yanked: ${yanked.reason}`, {
    version: version.version,
    yanked,
  });
}

/**
 * The install now holds `versionId`: the version it held until now is closed and the new one opened,
 * in the caller's transaction (which holds the install's row lock, so two moves never interleave).
 */
export async function recordInstallMove(
  tx: Executor,
  move: { installId: string; versionId: string; by: MovedBy; at?: Date },
) {
  const at = move.at ?? new Date();
  await tx
    .update(installHistory)
    .set({ toAt: at })
    .where(and(eq(installHistory.installId, move.installId), isNull(installHistory.toAt)));
  await tx.insert(installHistory).values({
    id: newId("ih"),
    installId: move.installId,
    versionId: move.versionId,
    fromAt: at,
    movedBy: move.by.kind,
    movedById: move.by.id,
  });
}

/** A live install of the caller's own vault, if the subject may read it (404 otherwise). */
export async function loadInstallToRead(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
) {
  const vault = await loadOwnVault(ctx.db, subject, "install.read", vaultId);
  return loadAuthorized(
    subject,
    "install.read",
    "install",
    () => liveInstall(ctx.db, { vaultId: vault.id, installId }),
    vaultOf,
  );
}

/**
 * The ready version of that number among `ready`: 422 `no_matching_version` naming those there are
 * when there is none, 409 `version_yanked` when it was yanked.
 */
export function readyNamed(ready: VersionRow[], version: string | undefined) {
  const found = ready.find((v) => v.version === version);
  if (!found) {
    throw new AppError(
      "no_matching_version",
      `version ${version ?? "(none)"} is not a ready version of this cube`,
      { available: installable(ready).map((v) => v.version) },
    );
  }
  if (found.yankedAt) refuseYankedVersion(found);
  if (found.heldAt) {
    throw new AppError(
      "version_held",
      `version ${found.version} is held by its evaluation until its publisher releases it: ${found.heldReason ?? ""}`,
    );
  }
  return found;
}

/** The versions a live install of the caller's vault has held, oldest first, with what moved it to each. */
export async function installHistoryOf(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
) {
  const install = await loadInstallToRead(ctx, subject, vaultId, installId);
  const rows = await heldVersions(ctx.db, { installId: install.id });
  return {
    items: rows.map((r) => ({
      version: r.version,
      from: r.fromAt.toISOString(),
      to: r.toAt?.toISOString() ?? null,
      moved_by: { kind: r.movedBy, ...(r.movedById && { id: r.movedById }) },
    })),
  };
}

import { AppError, type Subject } from "@memstore/core";
import type { Executor, InstallRow } from "@memstore/db";
import semver from "semver";
import type { z } from "zod";
import { actorOf } from "../kernel/authorize.ts";
import type { AppContext } from "../kernel/context.ts";
import { readyVersions, versionById } from "../catalog/queries.ts";
import { actingOf, loadInstallToRead, moverOf, readyNamed } from "./install-history.ts";
import { afterMove, installViewOf, loadLiveInstall, moveInstall, upgradeInstall } from "./installs.ts";
import { heldVersions } from "./queries.ts";
import type { moveInstallInput } from "./schemas.ts";
import { loadOwnVault } from "./vaults.ts";

/**
 * `POST …/upgrade`: without a version, the newest ready version the install's policy allows; with
 * one, that version (newer than the one held), the policy pinned to it so no auto-update moves it
 * on. Either way the install as it stands after.
 */
export async function upgradeInstallTo(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  input: z.infer<typeof moveInstallInput>,
) {
  const named = input.version;
  if (!named) {
    return (
      (await upgradeInstall(ctx, subject, vaultId, installId)) ??
      currentView(ctx, subject, vaultId, installId)
    );
  }
  const vault = await loadOwnVault(ctx.db, subject, "vault.write", vaultId);
  const moved = await ctx.db.transaction(async (tx) => {
    const install = await loadLiveInstall(tx, subject, vault.id, installId);
    const current = await versionById(tx, { versionId: install.versionId });
    if (current && !semver.gt(named, current.version)) {
      throw new AppError(
        "conflict",
        `the install holds ${current.version}; ${named} is not newer (roll back to an earlier version instead)`,
      );
    }
    const version = await readyVersionNamed(tx, install, named);
    const to = { version, policy: named };
    return moveInstall(tx, actingOf(subject), vault, install, to, {
      by: moverOf(subject),
      change: "upgraded",
    });
  });
  return afterMove(ctx, moved);
}

/**
 * `POST …/rollback`: back to the version the install held before the one it holds, or to a named
 * version it held at some time; its policy pinned there, so no auto-update undoes the rollback.
 * History records the move as a rollback by whoever asked.
 */
export async function rollbackInstall(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  input: z.infer<typeof moveInstallInput>,
) {
  const vault = await loadOwnVault(ctx.db, subject, "vault.write", vaultId);
  const moved = await ctx.db.transaction(async (tx) => {
    const install = await loadLiveInstall(tx, subject, vault.id, installId);
    const target = await rollbackTarget(tx, install, input.version);
    const version = await readyVersionNamed(tx, install, target);
    const by = { kind: "rollback" as const, id: moverOf(subject).id ?? actorOf(subject) };
    return moveInstall(
      tx,
      actingOf(subject),
      vault,
      install,
      { version, policy: target },
      { by, change: "rolled_back" },
    );
  });
  return afterMove(ctx, moved);
}

/** The version a rollback goes to: the named one if the install held it, else the one before the current. */
async function rollbackTarget(tx: Executor, install: InstallRow, named: string | undefined) {
  const held = await heldVersions(tx, { installId: install.id });
  const current = held.find((h) => h.versionId === install.versionId && h.toAt === null)?.version;
  if (named) {
    if (named === current) throw new AppError("conflict", `the install already holds ${named}`);
    if (!held.some((h) => h.version === named)) {
      throw new AppError("conflict", `the install never held ${named}: it held ${distinct(held).join(", ")}`);
    }
    return named;
  }
  const before = held.filter((h) => h.version !== current).at(-1);
  if (!before) throw new AppError("conflict", "the install has held no other version to roll back to");
  return before.version;
}

const distinct = (held: Array<{ version: string }>) => [...new Set(held.map((h) => h.version))];

/** The cube's ready version of that number, or 422 `no_matching_version` naming those there are. */
async function readyVersionNamed(tx: Executor, install: InstallRow, version: string) {
  return readyNamed(await readyVersions(tx, { cubeId: install.cubeId }), version);
}

/** The install as it stands, when an upgrade found nothing newer. */
async function currentView(ctx: AppContext, subject: Subject, vaultId: string, installId: string) {
  return installViewOf(ctx.db, await loadInstallToRead(ctx, subject, vaultId, installId));
}

import { AppError, decide, describeError, newId, type Subject } from "@memstore/core";
import {
  type CubeRow,
  type Executor,
  type InstallRow,
  installs,
  type ListingRow,
  type OrganizationRow,
  type VaultRow,
  type VersionRow,
} from "@memstore/db";
import { and, eq, isNull } from "drizzle-orm";
import { type z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { relayEventsAfterCommit, writeEvent } from "../outbox/outbox.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized, vaultOf } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { latestEntitlement } from "../entitlements/queries.ts";
import { grantEntitlement } from "../entitlements/lifecycle.ts";
import { cubeWithPublisher, readyVersionNumbers, readyVersions, versionById } from "../catalog/queries.ts";
import { assertPublished, loadVisibleListing } from "../store/store-listings.ts";
import { installView } from "../kernel/views.ts";
import { claimVaultDimension, loadOwnVault } from "./vaults.ts";
import { installPage, liveInstallOfListing, lockedInstall } from "./queries.ts";
import { installInput } from "./schemas.ts";
import {
  type Acting,
  actingOf,
  installable,
  type MovedBy,
  moverOf,
  recordInstallMove,
  versionForPolicy,
} from "./install-history.ts";

export { installInput };

/**
 * The entitlement an install needs. A publisher does not acquire its own listing (that would book a
 * sale to itself); installing it holds it by a `grant`, made on the first install, which no sale,
 * fee or holder count sees.
 */
async function entitlementToInstall(ctx: AppContext, subject: Subject, listing: ListingRow) {
  const held = await latestEntitlement(ctx.db, { orgId: subject.orgId, listingId: listing.id });
  const usable = held && decide(subject, "vault.write", {}, { entitlement: held }).allow;
  if (usable || listing.orgId !== subject.orgId) return held;
  authorize(subject, "vault.write");
  return ctx.db.transaction(async (tx) => {
    const grant = { cause: "grant", orgId: subject.orgId, listingId: listing.id, source: "grant" } as const;
    const made = await grantEntitlement(
      tx,
      { ...grant, validFrom: new Date(), validUntil: null },
      { actor: actorOf(subject), data: {} },
    );
    return made.row;
  });
}

/**
 * Installs a listing into a vault: a pointer to one ready version chosen by the version policy.
 * Plaintext chunks stay where they are, shared by every subscriber.
 */
export async function installListing(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: z.infer<typeof installInput>,
) {
  const vault = await loadOwnVault(ctx.db, subject, "vault.write", vaultId);
  const listing = await loadVisibleListing(ctx, subject, input.listing_id);
  assertPublished(listing);
  const entitlement = await entitlementToInstall(ctx, subject, listing);
  authorize(subject, "vault.write", { orgId: vault.orgId, vaultId: vault.id }, { entitlement });

  const ready = await readyVersions(ctx.db, { cubeId: listing.cubeId });
  const version = versionForPolicy(input.version_policy, ready, true);
  if (!version) {
    throw new AppError("no_matching_version", `no ready version matches '${input.version_policy}'`, {
      available: installable(ready).map((v) => v.version),
    });
  }
  const chosen = version.version;
  const { cube, publisher } = await cubeWithPublisher(ctx.db, { cubeId: listing.cubeId });

  const created = await ctx.db.transaction(async (tx) => {
    if (version.embeddingDim !== null) {
      await claimVaultDimension(tx, vault, version.embeddingDim, `${cube.slug}@${chosen}`);
    }
    const already = await liveInstallOfListing(tx, { vaultId: vault.id, listingId: listing.id });
    if (already)
      throw new AppError(
        "already_installed",
        `this listing is already installed in the vault (${already.id})`,
      );
    const [install] = await tx
      .insert(installs)
      .values({
        id: newId("inst"),
        orgId: subject.orgId,
        vaultId: vault.id,
        listingId: listing.id,
        cubeId: listing.cubeId,
        versionId: version.id,
        versionPolicy: input.version_policy,
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "install.created",
      objectType: "install",
      objectId: install!.id,
      data: { vault_id: vault.id, listing_id: listing.id, version: chosen },
    });
    await recordInstallMove(tx, { installId: install!.id, versionId: version.id, by: moverOf(subject) });
    const view = installView(
      install!,
      cubeRef(cube, publisher),
      chosen,
      installable(ready).map((v) => v.version),
    );
    const eventId = await writeInstallUpdated(tx, actingOf(subject), install!, {
      change: "installed",
      install: view,
    });
    return { view, eventId };
  });
  await relayEventsAfterCommit(ctx, [created.eventId]);
  await prepareCopy(ctx, version, subject.orgId);
  return created.view;
}

/**
 * Moves a live install to the newest ready version its policy (or a new one) allows. Returns the
 * install, or null when it already points there.
 */
export async function upgradeInstall(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  installId: string,
  policy?: string,
) {
  const vault = await loadOwnVault(ctx.db, subject, "vault.write", vaultId);
  const moved = await ctx.db.transaction(async (tx) => {
    const install = await loadLiveInstall(tx, subject, vault.id, installId);
    const versionPolicy = policy ?? install.versionPolicy;
    const chosen = versionForPolicy(versionPolicy, await readyVersions(tx, { cubeId: install.cubeId }));
    if (!chosen || chosen.id === install.versionId) return null;
    const to = { version: chosen, policy: versionPolicy };
    return moveInstall(tx, actingOf(subject), vault, install, to, {
      by: moverOf(subject),
      change: "upgraded",
    });
  });
  return moved && afterMove(ctx, moved);
}

/** A live install of the vault, locked for the caller's transaction, if the subject may change it. */
export function loadLiveInstall(tx: Executor, subject: Subject, vaultId: string, installId: string) {
  return loadAuthorized(
    subject,
    "vault.write",
    "install",
    () => lockedInstall(tx, { vaultId, installId }),
    vaultOf,
  );
}

export type InstallMove = {
  view: ReturnType<typeof installView>;
  eventId: string;
  version: VersionRow;
  orgId: string;
};

/** Why an install moved, as its audit action and its `install.updated` change say it. */
const MOVE_ACTIONS = {
  upgraded: "install.upgraded",
  rolled_back: "install.rolled_back",
  moved_by_yank: "install.moved_by_yank",
} as const;

/**
 * Moves a locked live install to a ready version under a policy: the row, its history (what moved
 * it), the audit (`install.upgraded` / `install.rolled_back` / `install.moved_by_yank`, in the
 * install's organisation) and `install.updated`, in the caller's transaction. A move clears a yank's
 * notice and lifts the suspension a critical yank put on it. The copy is queued after the commit
 * (`afterMove`).
 */
export async function moveInstall(
  tx: Executor,
  acting: Acting,
  vault: VaultRow,
  install: InstallRow,
  to: { version: VersionRow; policy: string },
  how: { by: MovedBy; change: keyof typeof MOVE_ACTIONS },
): Promise<InstallMove> {
  const { version } = to;
  const { cube, publisher } = await cubeWithPublisher(tx, { cubeId: install.cubeId });
  if (version.embeddingDim !== null) {
    await claimVaultDimension(tx, vault, version.embeddingDim, `${cube.slug}@${version.version}`);
  }
  const previous = await versionById(tx, { versionId: install.versionId });
  const now = new Date();
  const yankSuspended = install.state === "suspended" && install.notice?.severity === "critical";
  const [updated] = await tx
    .update(installs)
    .set({
      versionId: version.id,
      versionPolicy: to.policy,
      notice: null,
      ...(yankSuspended && { state: "activated" as const }),
      updatedAt: now,
    })
    .where(eq(installs.id, install.id))
    .returning();
  await recordInstallMove(tx, { installId: install.id, versionId: version.id, by: how.by, at: now });
  await recordAudit(tx, {
    orgId: install.orgId,
    actor: acting.actor,
    action: MOVE_ACTIONS[how.change],
    objectType: "install",
    objectId: install.id,
    data: { vault_id: vault.id, from: previous?.version ?? null, to: version.version, policy: to.policy },
  });
  const ready = installable(await readyVersions(tx, { cubeId: install.cubeId }));
  const view = installView(
    updated!,
    cubeRef(cube, publisher),
    version.version,
    ready.map((v) => v.version),
  );
  const eventId = await writeInstallUpdated(tx, acting, updated!, {
    change: how.change,
    previous_version: previous?.version ?? null,
    install: view,
  });
  return { view, eventId, version, orgId: install.orgId };
}

/** After a move commits: its event relayed, the organisation's copy of a binary version queued. */
export async function afterMove(ctx: AppContext, moved: InstallMove) {
  await relayEventsAfterCommit(ctx, [moved.eventId]);
  await prepareCopy(ctx, moved.version, moved.orgId);
  return moved.view;
}

/**
 * Queues the organisation's fingerprinted copy of a binary version, so its download is ready when
 * asked for (the download writes it itself if the job has not run yet: a queue outage delays nothing).
 */
async function prepareCopy(ctx: AppContext, version: VersionRow, orgId: string) {
  if (version.manifest.type === "plaintext") return;
  try {
    await ctx.jobs.enqueue("fingerprint", { versionId: version.id, orgId });
  } catch (error) {
    ctx.log(`fingerprint of ${version.id} for ${orgId} not queued: ${describeError(error)}`);
  }
}

/** `install.updated` for the install's vault, attributed to the subscription that acted, if any. */
export function writeInstallUpdated(
  tx: Executor,
  acting: Acting,
  install: InstallRow,
  data: Record<string, unknown>,
) {
  return writeEvent(tx, {
    type: "install.updated",
    orgId: install.orgId,
    vaultId: install.vaultId,
    listingId: install.listingId,
    eventSubscriptionId: acting.eventSubscriptionId,
    data,
  });
}

/** An install as the API shows it, read as it stands: its cube, the version it holds, what it could move to. */
export async function installViewOf(db: Executor, install: InstallRow) {
  const { cube, publisher } = await cubeWithPublisher(db, { cubeId: install.cubeId });
  const held = await versionById(db, { versionId: install.versionId });
  const ready = installable(await readyVersions(db, { cubeId: install.cubeId }));
  return installView(
    install,
    cubeRef(cube, publisher),
    held!.version,
    ready.map((v) => v.version),
  );
}

export function cubeRef(cube: CubeRow, publisher: OrganizationRow) {
  return { id: cube.id, slug: cube.slug, type: cube.type, publisher: publisher.slug };
}

export async function listInstalls(ctx: AppContext, subject: Subject, vaultId: string, page: PageQuery) {
  const vault = await loadOwnVault(ctx.db, subject, "install.read", vaultId);
  const rows = authorizedRows(
    subject,
    "install.read",
    await installPage(ctx.db, { vaultId: vault.id, page }),
    (r) => vaultOf(r.install),
  );
  const ready = await readyVersionNumbers(ctx.db, { cubeIds: rows.map((r) => r.cube.id) });
  return toPage(
    rows.map((r) =>
      installView(r.install, cubeRef(r.cube, r.publisher), r.version, ready.get(r.cube.id) ?? []),
    ),
    page,
  );
}

export async function uninstall(ctx: AppContext, subject: Subject, vaultId: string, installId: string) {
  const vault = await loadOwnVault(ctx.db, subject, "vault.write", vaultId);
  const eventId = await ctx.db.transaction(async (tx) => {
    // Judged after the update, inside its transaction: a refusal rolls it back.
    const row = await loadAuthorized(
      subject,
      "vault.write",
      "install",
      () =>
        tx
          .update(installs)
          .set({ uninstalledAt: new Date(), state: "archived", updatedAt: new Date() })
          .where(
            and(eq(installs.id, installId), eq(installs.vaultId, vault.id), isNull(installs.uninstalledAt)),
          )
          .returning(),
      vaultOf,
    );
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "install.removed",
      objectType: "install",
      objectId: installId,
      data: { vault_id: vault.id },
    });
    return writeInstallUpdated(tx, actingOf(subject), row, {
      change: "uninstalled",
      install: { id: row.id, listing_id: row.listingId, state: row.state },
    });
  });
  await relayEventsAfterCommit(ctx, [eventId]);
}

import { idSchema } from "@memstore/core";
import { z } from "zod";
import {
  archiveMemory,
  createMemory,
  createMemoryInput,
  listMemories,
  listMemoriesQuery,
  memoryHistory,
  mergeMemories,
  mergeMemoriesInput,
  restoreMemory,
  restoreMemoryInput,
  updateMemory,
  updateMemoryInput,
} from "@memstore/api/memories";
import { searchInput, searchVault } from "@memstore/api/search";
import { nameActor } from "@memstore/api/audit";
import { pageQuery } from "@memstore/api";
import { orgProcedure, router } from "../init.ts";
import {
  createVault,
  createVaultInput,
  getVault,
  installInput,
  installListing,
  listInstalls,
  listVaults,
  uninstall,
  updateVault,
  updateVaultInput,
  upgradeInstall,
  freezeVault,
  freezeVaultInput,
  installDiff,
  installDiffQuery,
  installHistoryOf,
  rollbackInstall,
  unfreezeVault,
  unfreezeVaultInput,
} from "@memstore/api/vaults";

const vaultRef = z.object({ vault_id: idSchema });
const installRef = vaultRef.extend({ install_id: idSchema });
const memoryRef = vaultRef.extend({ memory_id: idSchema });

export const vaultsRouter = router({
  list: orgProcedure.input(pageQuery).query(({ ctx, input }) => listVaults(ctx.app, ctx.subject, input)),
  /** The vault; a frozen one's hold names who froze it in words. */
  get: orgProcedure.input(vaultRef).query(async ({ ctx, input }) => {
    const vault = await getVault(ctx.app, ctx.subject, input.vault_id);
    const frozen = vault.frozen && {
      ...vault.frozen,
      by_name: await nameActor(ctx.app, ctx.subject, vault.frozen.by),
    };
    return { ...vault, frozen };
  }),
  create: orgProcedure
    .input(createVaultInput)
    .mutation(({ ctx, input }) => createVault(ctx.app, ctx.subject, input)),
  update: orgProcedure
    .input(vaultRef.extend(updateVaultInput.shape))
    .mutation(({ ctx, input: { vault_id, ...input } }) => updateVault(ctx.app, ctx.subject, vault_id, input)),
  installs: orgProcedure
    .input(vaultRef.extend(pageQuery.shape))
    .query(({ ctx, input }) => listInstalls(ctx.app, ctx.subject, input.vault_id, input)),
  install: orgProcedure
    .input(vaultRef.extend(installInput.shape))
    .mutation(({ ctx, input: { vault_id, ...input } }) =>
      installListing(ctx.app, ctx.subject, vault_id, input),
    ),
  upgrade: orgProcedure
    .input(installRef.extend({ version_policy: z.string().trim().max(100).optional() }))
    .mutation(({ ctx, input }) =>
      upgradeInstall(ctx.app, ctx.subject, input.vault_id, input.install_id, input.version_policy),
    ),
  /** The versions an install held, and what moved it to each. */
  installHistory: orgProcedure
    .input(installRef)
    .query(({ ctx, input }) => installHistoryOf(ctx.app, ctx.subject, input.vault_id, input.install_id)),
  /** What changed between two versions of the install's cube (by default the one held and the newest). */
  installDiff: orgProcedure
    .input(installRef.extend(installDiffQuery.shape))
    .query(({ ctx, input: { vault_id, install_id, ...query } }) =>
      installDiff(ctx.app, ctx.subject, vault_id, install_id, query),
    ),
  rollback: orgProcedure
    .input(installRef.extend({ version: z.string().trim().max(100).optional() }))
    .mutation(({ ctx, input }) =>
      rollbackInstall(ctx.app, ctx.subject, input.vault_id, input.install_id, {
        ...(input.version && { version: input.version }),
      }),
    ),
  freeze: orgProcedure
    .input(vaultRef.extend(freezeVaultInput.shape))
    .mutation(({ ctx, input: { vault_id, ...input } }) => freezeVault(ctx.app, ctx.subject, vault_id, input)),
  unfreeze: orgProcedure
    .input(vaultRef.extend(unfreezeVaultInput.shape))
    .mutation(({ ctx, input: { vault_id, ...input } }) =>
      unfreezeVault(ctx.app, ctx.subject, vault_id, input),
    ),
  uninstall: orgProcedure
    .input(installRef)
    .mutation(({ ctx, input }) => uninstall(ctx.app, ctx.subject, input.vault_id, input.install_id)),
  search: orgProcedure
    .input(vaultRef.extend(searchInput.shape))
    .query(({ ctx, input: { vault_id, ...input } }) => searchVault(ctx.app, ctx.subject, vault_id, input)),
  memories: orgProcedure
    .input(vaultRef.extend(listMemoriesQuery.shape).extend(pageQuery.shape))
    .query(({ ctx, input }) =>
      listMemories(ctx.app, ctx.subject, input.vault_id, { state: input.state }, input),
    ),
  createMemory: orgProcedure
    .input(vaultRef.extend(createMemoryInput.shape))
    .mutation(({ ctx, input: { vault_id, ...input } }) =>
      createMemory(ctx.app, ctx.subject, vault_id, input),
    ),
  updateMemory: orgProcedure
    .input(memoryRef.extend({ changes: updateMemoryInput }))
    .mutation(({ ctx, input }) =>
      updateMemory(ctx.app, ctx.subject, input.vault_id, input.memory_id, input.changes),
    ),
  archiveMemory: orgProcedure
    .input(memoryRef)
    .mutation(({ ctx, input }) => archiveMemory(ctx.app, ctx.subject, input.vault_id, input.memory_id)),
  /** Several active memories become one new memory; the sources become merged. */
  mergeMemories: orgProcedure
    .input(vaultRef.extend(mergeMemoriesInput.shape))
    .mutation(({ ctx, input: { vault_id, ...input } }) =>
      mergeMemories(ctx.app, ctx.subject, vault_id, input),
    ),
  /** An archived, expired or merged memory back active, as a new version. */
  restoreMemory: orgProcedure
    .input(memoryRef.extend(restoreMemoryInput.shape))
    .mutation(({ ctx, input: { vault_id, memory_id, ...input } }) =>
      restoreMemory(ctx.app, ctx.subject, vault_id, memory_id, input),
    ),
  memoryHistory: orgProcedure
    .input(memoryRef)
    .query(({ ctx, input }) => memoryHistory(ctx.app, ctx.subject, input.vault_id, input.memory_id)),
});

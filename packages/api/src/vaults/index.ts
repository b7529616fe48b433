/** Vaults: an organisation's vaults and what is installed in them, with the copies each install serves. */
export { type DownloadLink, payloadDownloadLink } from "./download-links.ts";
export { installedCopy } from "./installed-copy.ts";
export { installDiff } from "./install-diff.ts";
export { installHistoryOf } from "./install-history.ts";
export { rollbackInstall, upgradeInstallTo } from "./install-moves.ts";
export { installListing, listInstalls, uninstall, upgradeInstall } from "./installs.ts";
export { payloadLink } from "./payload-links.ts";
export { type Redeemed, redeemLink } from "./signed-links.ts";
export {
  copyQuery,
  createVaultInput,
  installDiffQuery,
  installInput,
  freezeVaultInput,
  moveInstallInput,
  unfreezeVaultInput,
  updateVaultInput,
} from "./schemas.ts";
export { freezeVault, unfreezeVault } from "./vault-freeze.ts";
export { createVault, getVault, listVaults, updateVault } from "./vaults.ts";
export { settleYankedInstalls, unyankVersion, yankVersion } from "./version-yank.ts";
export { heatQuery, vaultHeat } from "./vault-heat.ts";

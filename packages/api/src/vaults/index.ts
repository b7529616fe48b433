/** Vaults: what an organisation installed, its own memories, and the search agents run over both. */
export { fingerprintedCopy } from "./fingerprinted-copies.ts";
export { installedCopy } from "./installed-copy.ts";
export { type DownloadLink, payloadDownloadLink, redeemBlobLink } from "./download-links.ts";
export { installListing, listInstalls, uninstall, upgradeInstall } from "./installs.ts";
export {
  archiveMemory,
  createMemory,
  getMemory,
  listMemories,
  memoryHistory,
  updateMemory,
} from "./memories.ts";
export {
  copyQuery,
  createMemoryInput,
  createVaultInput,
  installInput,
  listMemoriesQuery,
  type SearchInput,
  searchInput,
  updateMemoryInput,
  updateVaultInput,
} from "./schemas.ts";
export { type SearchResult, searchVault } from "./search-vault.ts";
/** The search's plans, for the tests that EXPLAIN them and the benchmark that measures them. */
export {
  chunkVectorStatement,
  EXACT_SCAN_MAX_CHUNKS,
  exactVectorStatement,
  type Scope,
  scopeFilters,
  vectorHits,
  type VisibleVersion,
} from "./search-queries.ts";
export { keywordHitsAllThenAny, keywordStatement } from "./search-keyword.ts";
export { fusedHybridHits } from "./search-hybrid.ts";
export { createVault, getVault, listVaults, updateVault } from "./vaults.ts";
/** How far each side of a keyword search looks, and the distance vector search orders by. */
export { cosineDistance, KEYWORD_CANDIDATES } from "../search/query.ts";
export { exportVault, vaultExportQuery } from "./vault-export.ts";

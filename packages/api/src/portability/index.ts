/** Portability: signed bundles out and in (MemDumper / MemLoader). */
export { type BundleReport, readBundle } from "./bundle-format.ts";
export { exportBundle, importBundle } from "./bundles.ts";
export { exportMemos, importMemos, importMemosQuery } from "./memos.ts";
export { importMem0, importMem0Query } from "./mem0.ts";
export { exportVault, vaultExportQuery } from "./vault-export.ts";

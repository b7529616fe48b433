/**
 * @memstore/api: the services every transport, job and command calls, one named surface per domain
 * (`@memstore/api/publishing`, `/store`, `/vaults`, …). This root holds what they all share: the
 * running system, its configuration and health, and list pages.
 */
export type { AppContext } from "./context.ts";
export { type Config, ConfigError, loadConfig } from "./env.ts";
export { type Page, type PageQuery, pageQuery } from "./pagination.ts";
export { checkHealth, type Health, openRuntime, type Runtime } from "./runtime.ts";
export { persistedFile } from "./secrets.ts";
export { startSweeps } from "./sweeps.ts";

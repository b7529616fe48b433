/**
 * @memstore/api: the services every transport, job and command calls, one named surface per domain
 * (`@memstore/api/catalog`, `/store`, `/vaults`, …). This root holds what they all share: the
 * running system, its configuration and health, and list pages.
 */
export type { AppContext } from "./kernel/context.ts";
export { type Config, CONFIG_VARIABLES, ConfigError, loadConfig } from "./kernel/env.ts";
export { type Page, type PageQuery, pageQuery } from "./kernel/pagination.ts";
export { checkHealth, type Health, openRuntime, type Runtime } from "./kernel/runtime.ts";
export { HeatTally } from "./kernel/heat-tally.ts";
export { persistedFile } from "./kernel/secrets.ts";
export { startSweeps } from "./sweeps.ts";

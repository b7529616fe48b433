/** The events MemStore writes to its outbox: vault streams and webhooks carry them. */
export const EVENT_TYPES = [
  "version.published",
  "version.yanked",
  "install.updated",
  "entitlement.revoked",
  "vault.frozen",
  "vault.unfrozen",
  "access_request.updated",
  "memory.archived",
  "memory.expired",
] as const;
export type EventTypeName = (typeof EVENT_TYPES)[number];

export const SCOPES = ["publish", "subscribe", "vault:read", "vault:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLES = ["owner", "admin", "publisher", "member", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export const VERSION_STATUSES = ["draft", "processing", "ready", "rejected"] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

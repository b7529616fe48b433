export * from "./client.ts";
export * from "./columns.ts";
export * from "./locks.ts";
export * as schema from "./schema.ts";
export * from "./schema.ts";
export * from "./settings-query.ts";

/**
 * The TypeScript client of MemStore's REST API v1, what agents install: no server dependencies (its
 * one workspace import, the signature check, uses node:crypto alone).
 * Every failure is a MemStoreApiError carrying the problem document's `code`.
 */
export * from "./client.ts";
export type { BodyOf, QueryOf } from "./contract.ts";
export * from "./commerce.ts";
export * from "./types.ts";
export * from "./verify.ts";
export * from "./bundles.ts";
export * from "./downloads.ts";
export * from "./events.ts";
export * from "./models.ts";
export * from "./publishing.ts";
export * from "./base-client.ts";

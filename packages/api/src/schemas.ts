/**
 * Every input schema a form in the portal validates with: the same zod objects the services,
 * REST routes and tRPC procedures use. Nothing here touches the database, so pages may import it.
 */
export * from "./audit/schemas.ts";
export * from "./identity/schemas.ts";
export * from "./publishing/schemas.ts";
export * from "./vaults/schemas.ts";

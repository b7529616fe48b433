/** Every input schema the transports share, for the portal's forms (which must not import services). */
export * from "./audit/schemas.ts";
export * from "./catalog/schemas.ts";
export * from "./evaluation/schemas.ts";
export * from "./identity/schemas.ts";
export * from "./listings/schemas.ts";
export * from "./memories/schemas.ts";
export * from "./payments/pricing.ts";
export * from "./search/schemas.ts";
export * from "./store/schemas.ts";
export * from "./vaults/schemas.ts";

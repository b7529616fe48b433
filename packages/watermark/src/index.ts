export * from "./fingerprint.ts";
export * from "./signing.ts";
export * from "./canary.ts";
export * from "./tensors.ts";

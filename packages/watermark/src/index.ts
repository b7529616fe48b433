export * from "./fingerprint.ts";
export * from "./reed-solomon.ts";
export * from "./signing.ts";

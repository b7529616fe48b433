export * from "./custom.ts";
export * from "./desensitise.ts";
export * from "./detect.ts";
export * from "./entities.ts";
export * from "./operators.ts";
export * from "./policy.ts";
export { ethereumChecksumOk, ibanValid, luhnValid } from "./validators.ts";

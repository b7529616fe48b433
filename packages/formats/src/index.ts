export * from "./byte-reader.ts";
export * from "./dtype.ts";
export * from "./safetensors.ts";
export * from "./pickle.ts";
export * from "./tar.ts";

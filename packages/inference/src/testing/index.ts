export * from "./onnx-builder.ts";
export * from "./tiny-encoder.ts";
export * from "./tiny-ner.ts";
export * from "./tiny-decoder.ts";

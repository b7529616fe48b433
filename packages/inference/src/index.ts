import type { Embedder } from "./embedder.ts";
import { HashEmbedder } from "./hash-embedder.ts";
import { OnnxEmbedder } from "./onnx-embedder.ts";

export * from "./embedder.ts";
export { fnv1a, HashEmbedder, STOPWORDS, wordsOf } from "./hash-embedder.ts";
export { OnnxEmbedder } from "./onnx-embedder.ts";
export { type NamedEntity, OnnxTokenClassifier } from "./token-classifier.ts";
export { preTokenize, WordPieceTokenizer } from "./wordpiece.ts";

/** The configured embedder: an ONNX model when a directory is given, else the built-in one. */
export async function createEmbedder(modelDir: string | undefined): Promise<Embedder> {
  return modelDir ? OnnxEmbedder.load(modelDir) : new HashEmbedder(384);
}
export { BpeTokenizer } from "./bpe.ts";
export * from "./decoder.ts";
export * from "./decoder-interface.ts";
export { decodeModel, editDecoder, type LinearSite, linearSite } from "./onnx-graph.ts";
export * from "./validation.ts";
export * from "./lora-algebra.ts";

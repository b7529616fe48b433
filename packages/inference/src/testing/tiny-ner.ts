import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DataType,
  encodeModel,
  floatInitializer,
  int64Initializer,
  node,
  randomMatrix,
  seededRandom,
  tensorInfo,
} from "./onnx-builder.ts";
import { tinyTokenizerJson } from "./tiny-encoder.ts";

/**
 * A tiny BERT-shaped token classifier with the names of a real NER export (dslim/bert-base-NER's
 * labels; inputs `input_ids`, `attention_mask`, `token_type_ids`; output `logits`):
 * logits = ((word_emb[input_ids] + type_emb[token_type_ids]) · mask) · classifier.weight + bias.
 * Its word embeddings put each vocabulary word near the label it should get, with noise, so what
 * it finds is known: the model is real, its knowledge is a lookup.
 */
export const NER_LABELS = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"];

/** Each word of the vocabulary with the label the model gives it when it is a word's first piece. */
export const TINY_NER_VOCAB: ReadonlyArray<readonly [string, string]> = [
  ["[PAD]", "O"],
  ["[UNK]", "O"],
  ["[CLS]", "O"],
  ["[SEP]", "O"],
  ["the", "O"],
  ["to", "O"],
  ["in", "O"],
  ["at", "O"],
  ["and", "O"],
  ["escalate", "O"],
  ["met", "O"],
  ["works", "O"],
  ["for", "O"],
  [".", "O"],
  [",", "O"],
  ["zor", "B-PER"],
  ["##bash", "O"],
  ["quill", "I-PER"],
  ["##et", "O"],
  ["ines", "B-PER"],
  ["lyon", "B-LOC"],
  ["new", "B-LOC"],
  ["york", "I-LOC"],
  ["acme", "B-ORG"],
  ["##e", "O"],
  ["zo", "B-PER"],
];

export function writeTinyTokenClassifier(dir: string, seed = 11, maxLength = 32): { dir: string } {
  mkdirSync(dir, { recursive: true });
  const random = seededRandom(seed);
  const vocab = TINY_NER_VOCAB.map(([w]) => w);
  const hidden = NER_LABELS.length;
  const words = randomMatrix(vocab.length, hidden, random, 0.3);
  TINY_NER_VOCAB.forEach(([, label], i) => {
    words[i * hidden + NER_LABELS.indexOf(label)]! += 6;
  });
  const types = randomMatrix(2, hidden, random, 0.05);
  const classifier = Float32Array.from({ length: hidden * hidden }, (_, i) =>
    Math.floor(i / hidden) === i % hidden ? 1 : 0,
  );
  const bias = randomMatrix(1, hidden, random, 0.05);

  const model = encodeModel({
    name: "tiny-ner",
    inputs: [
      tensorInfo("input_ids", DataType.INT64, ["batch", "sequence"]),
      tensorInfo("attention_mask", DataType.INT64, ["batch", "sequence"]),
      tensorInfo("token_type_ids", DataType.INT64, ["batch", "sequence"]),
    ],
    outputs: [tensorInfo("logits", DataType.FLOAT, ["batch", "sequence", hidden])],
    initializers: [
      floatInitializer("bert.embeddings.word_embeddings.weight", [vocab.length, hidden], words),
      floatInitializer("bert.embeddings.token_type_embeddings.weight", [2, hidden], types),
      floatInitializer("classifier.weight", [hidden, hidden], classifier),
      floatInitializer("classifier.bias", [hidden], bias),
      int64Initializer("unsqueeze_axes", [-1]),
    ],
    nodes: [
      node("Gather", ["bert.embeddings.word_embeddings.weight", "input_ids"], ["word"]),
      node("Gather", ["bert.embeddings.token_type_embeddings.weight", "token_type_ids"], ["type"]),
      node("Add", ["word", "type"], ["embedded"]),
      node("Cast", ["attention_mask"], ["mask_float"], [{ name: "to", i: DataType.FLOAT }]),
      node("Unsqueeze", ["mask_float", "unsqueeze_axes"], ["mask_3d"]),
      node("Mul", ["embedded", "mask_3d"], ["masked"]),
      node("MatMul", ["masked", "classifier.weight"], ["projected"]),
      node("Add", ["projected", "classifier.bias"], ["logits"]),
    ],
  });
  writeFileSync(join(dir, "model.onnx"), model);
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyTokenizerJson(vocab, maxLength)));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      model_type: "bert",
      architectures: ["BertForTokenClassification"],
      id2label: Object.fromEntries(NER_LABELS.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(NER_LABELS.map((l, i) => [l, i])),
    }),
  );
  return { dir };
}

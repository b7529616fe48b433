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

/**
 * A tiny BERT-shaped sentence encoder with the input and output names of a real export
 * (`input_ids`, `attention_mask`, `token_type_ids` → `last_hidden_state`):
 * hidden = tanh((word_emb[input_ids] + type_emb[token_type_ids]) · W) · mask.
 * Its weights are returned too, so a test can compute the expected embedding by hand.
 */
export const TINY_VOCAB = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  "the",
  "a",
  "of",
  "and",
  "to",
  "in",
  "is",
  ".",
  ",",
  "!",
  "?",
  "tax",
  "law",
  "income",
  "france",
  "paris",
  "capital",
  "vat",
  "rate",
  "river",
  "seine",
  "un",
  "##aff",
  "##able",
  "memory",
  "cube",
  "agent",
  "vault",
  "search",
  "##s",
  "##ing",
];

export type TinyEncoder = {
  dir: string;
  hidden: number;
  vocab: Map<string, number>;
  wordEmbeddings: Float32Array;
  typeEmbeddings: Float32Array;
  dense: Float32Array;
};

export function writeTinyEncoder(dir: string, hidden = 16, seed = 7): TinyEncoder {
  mkdirSync(dir, { recursive: true });
  const random = seededRandom(seed);
  const vocabSize = TINY_VOCAB.length;
  const wordEmbeddings = randomMatrix(vocabSize, hidden, random);
  const typeEmbeddings = randomMatrix(2, hidden, random, 0.1);
  const dense = randomMatrix(hidden, hidden, random, 0.5);

  const model = encodeModel({
    name: "tiny-encoder",
    inputs: [
      tensorInfo("input_ids", DataType.INT64, ["batch", "sequence"]),
      tensorInfo("attention_mask", DataType.INT64, ["batch", "sequence"]),
      tensorInfo("token_type_ids", DataType.INT64, ["batch", "sequence"]),
    ],
    outputs: [tensorInfo("last_hidden_state", DataType.FLOAT, ["batch", "sequence", hidden])],
    initializers: [
      floatInitializer("embeddings.word_embeddings.weight", [vocabSize, hidden], wordEmbeddings),
      floatInitializer("embeddings.token_type_embeddings.weight", [2, hidden], typeEmbeddings),
      floatInitializer("encoder.dense.weight", [hidden, hidden], dense),
      int64Initializer("unsqueeze_axes", [-1]),
    ],
    nodes: [
      node("Gather", ["embeddings.word_embeddings.weight", "input_ids"], ["word"]),
      node("Gather", ["embeddings.token_type_embeddings.weight", "token_type_ids"], ["type"]),
      node("Add", ["word", "type"], ["embedded"]),
      node("MatMul", ["embedded", "encoder.dense.weight"], ["projected"]),
      node("Tanh", ["projected"], ["activated"]),
      node("Cast", ["attention_mask"], ["mask_float"], [{ name: "to", i: DataType.FLOAT }]),
      node("Unsqueeze", ["mask_float", "unsqueeze_axes"], ["mask_3d"]),
      node("Mul", ["activated", "mask_3d"], ["last_hidden_state"]),
    ],
  });
  writeFileSync(join(dir, "model.onnx"), model);
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyTokenizerJson()));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ model_type: "bert", hidden_size: hidden, vocab_size: vocabSize, num_hidden_layers: 1 }),
  );
  return {
    dir,
    hidden,
    vocab: new Map(TINY_VOCAB.map((t, i) => [t, i])),
    wordEmbeddings,
    typeEmbeddings,
    dense,
  };
}

/** A Hugging Face BERT `tokenizer.json` (WordPiece, lower-casing) over the given vocabulary. */
export function tinyTokenizerJson(vocab: readonly string[] = TINY_VOCAB, maxLength = 128) {
  return {
    version: "1.0",
    truncation: { direction: "Right", max_length: maxLength, strategy: "LongestFirst", stride: 0 },
    padding: null,
    added_tokens: [],
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
    },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  };
}

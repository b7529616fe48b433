import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine } from "./embedder.ts";
import { OnnxEmbedder } from "./onnx-embedder.ts";
import { type TinyEncoder, writeTinyEncoder } from "./testing/tiny-encoder.ts";
import { WordPieceTokenizer } from "./wordpiece.ts";

let encoder: TinyEncoder;
let embedder: OnnxEmbedder;
const dir = mkdtempSync(join(tmpdir(), "memstore-encoder-"));

beforeAll(async () => {
  encoder = writeTinyEncoder(dir);
  embedder = await OnnxEmbedder.load(dir, { batchSize: 4 });
});
afterAll(async () => {
  await embedder.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the model should output, computed by hand from its weights. */
function expected(tokens: string[]): Float32Array {
  const h = encoder.hidden;
  const sum = new Float32Array(h);
  for (const token of tokens) {
    const id = encoder.vocab.get(token)!;
    for (let j = 0; j < h; j++) {
      let acc = 0;
      for (let k = 0; k < h; k++) {
        const e = encoder.wordEmbeddings[id * h + k]! + encoder.typeEmbeddings[k]!;
        acc += e * encoder.dense[k * h + j]!;
      }
      sum[j]! += Math.tanh(acc);
    }
  }
  const norm = Math.hypot(...sum);
  return sum.map((v) => v / tokens.length / (norm / tokens.length));
}

describe("OnnxEmbedder", () => {
  it("reads its dimension from the model", () => {
    expect(embedder.dimension).toBe(16);
    expect(embedder.model).toMatch(/^onnx:memstore-encoder-\w+@[0-9a-f]{12}$/);
  });

  it("tokenises with WordPiece, mean-pools over the attention mask and L2-normalises", async () => {
    const [vector] = await embedder.embed(["Unaffable tax!"]);
    const want = expected(["[CLS]", "un", "##aff", "##able", "tax", "!", "[SEP]"]);
    for (let i = 0; i < 16; i++) expect(vector![i]).toBeCloseTo(want[i]!, 5);
    expect(cosine(vector!, vector!)).toBeCloseTo(1, 5);
  });

  it("gives the same vector for a text alone or padded in a batch with longer ones", async () => {
    const texts = [
      "paris",
      "the capital of france is paris and the river is the seine",
      "vat rate",
      "tax law",
      "memory",
    ];
    const batched = await embedder.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text]);
      for (let j = 0; j < 16; j++) expect(batched[i]![j]).toBeCloseTo(alone![j]!, 5);
    }
  });
});

describe("WordPieceTokenizer", () => {
  const tokenizer = () =>
    new WordPieceTokenizer({
      model: { type: "WordPiece", vocab: Object.fromEntries([...encoder.vocab]) },
      normalizer: { type: "BertNormalizer", lowercase: true },
    });

  it("splits punctuation, lowercases, strips accents and falls back to [UNK]", () => {
    expect(tokenizer().encode("Fráńce, Paris? Zebra").tokens).toEqual([
      "[CLS]",
      "france",
      ",",
      "paris",
      "?",
      "[UNK]",
      "[SEP]",
    ]);
  });

  it("matches the longest sub-word first", () => {
    expect(tokenizer().encode("searching agents").tokens).toEqual([
      "[CLS]",
      "search",
      "##ing",
      "agent",
      "##s",
      "[SEP]",
    ]);
  });

  it("truncates to the maximum length, keeping [CLS] and [SEP]", () => {
    const t = new WordPieceTokenizer(
      { model: { type: "WordPiece", vocab: Object.fromEntries([...encoder.vocab]) } },
      5,
    );
    expect(t.encode("tax law income vat rate river").tokens).toEqual([
      "[CLS]",
      "tax",
      "law",
      "income",
      "[SEP]",
    ]);
  });

  it("refuses a tokenizer.json that is not WordPiece", () => {
    expect(() => new WordPieceTokenizer({ model: { type: "BPE", vocab: {} } })).toThrow(
      /not a BERT WordPiece/,
    );
  });
});

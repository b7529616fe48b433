import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyTokenClassifier } from "./testing/tiny-ner.ts";
import { OnnxTokenClassifier } from "./token-classifier.ts";

const dir = mkdtempSync(join(tmpdir(), "memstore-ner-"));
let ner: OnnxTokenClassifier;

beforeAll(async () => {
  writeTinyTokenClassifier(dir);
  ner = await OnnxTokenClassifier.load(dir, { batchSize: 3 });
});
afterAll(async () => {
  await ner.close();
  rmSync(dir, { recursive: true, force: true });
});

const spans = (text: string, found: Array<{ type: string; start: number; end: number; text: string }>) =>
  found.map((e) => {
    expect(text.slice(e.start, e.end)).toBe(e.text);
    return [e.type, e.text];
  });

describe("ONNX token classification (people and places)", () => {
  it("joins a word's pieces and B-/I- tags into entities, with spans in the original text", async () => {
    const texts = [
      "Escalate to Zorbash Quillet in Lyon.",
      "Inès works for Acme in NEW York, and met Zo.",
      "",
      "the to in at",
    ];
    const [a, b, empty, none] = await ner.classify(texts);
    expect(spans(texts[0]!, a!)).toEqual([
      ["PERSON", "Zorbash Quillet"],
      ["LOCATION", "Lyon"],
    ]);
    // Accents and case are normalised for the model, never in the spans; ORG is not personal data.
    expect(spans(texts[1]!, b!)).toEqual([
      ["PERSON", "Inès"],
      ["LOCATION", "NEW York"],
      ["PERSON", "Zo"],
    ]);
    expect(empty).toEqual([]);
    expect(none).toEqual([]);
    for (const e of [...a!, ...b!]) {
      expect(e.score).toBeGreaterThan(0.9);
      expect(e.recognizer).toMatch(/^onnx:memstore-ner-\w+@[0-9a-f]{12}$/);
    }
  });

  it("reads a text longer than the model's window in windows of whole words", async () => {
    // The tiny model reads 32 pieces at a time; this text is about ten times longer.
    const sentence = "Escalate to Zorbash Quillet in Lyon. ";
    const text = sentence.repeat(12);
    const [found] = await ner.classify([text]);
    expect(found).toHaveLength(24);
    found!.forEach((e, i) => {
      const at = Math.floor(i / 2) * sentence.length;
      expect(e.start).toBe(at + (i % 2 === 0 ? 12 : 31));
      expect(e.text).toBe(i % 2 === 0 ? "Zorbash Quillet" : "Lyon");
    });
  });

  it("refuses a directory that is not a token-classification model, saying what is missing", async () => {
    const other = mkdtempSync(join(tmpdir(), "memstore-ner-bad-"));
    try {
      await expect(OnnxTokenClassifier.load(other)).rejects.toThrow(/has no model\.onnx/);
      writeTinyTokenClassifier(other);
      writeFileSync(join(other, "config.json"), JSON.stringify({ model_type: "bert" }));
      await expect(OnnxTokenClassifier.load(other)).rejects.toThrow(/no id2label/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

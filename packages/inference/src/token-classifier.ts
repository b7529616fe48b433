import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { type EncodedWord, WordPieceTokenizer } from "./wordpiece.ts";

/**
 * A named-entity model exported to ONNX for token classification (the layout of dslim/bert-base-NER
 * or any BERT-family `*ForTokenClassification` exported with Optimum: `model.onnx` or
 * `onnx/model.onnx`, inputs `input_ids`, `attention_mask` and optionally `token_type_ids`, output
 * `logits` [batch, sequence, labels]; `config.json` with `id2label`; WordPiece `tokenizer.json`).
 *
 * Each word takes the label of its first piece; B-/I- tags join words into entities (an I- tag
 * after another type starts a new entity). PER/PERSON become PERSON, LOC/LOCATION/GPE become
 * LOCATION; other types (ORG, MISC) are not personal data and are left out.
 */
export type NamedEntity = {
  type: "PERSON" | "LOCATION";
  start: number;
  end: number;
  text: string;
  score: number;
  recognizer: string;
};

const configSchema = z.object({
  id2label: z.record(z.string().regex(/^\d+$/), z.string()),
});

const TYPE_OF: Record<string, NamedEntity["type"]> = {
  PER: "PERSON",
  PERSON: "PERSON",
  LOC: "LOCATION",
  LOCATION: "LOCATION",
  GPE: "LOCATION",
};

type LabelledWord = { word: EncodedWord; label: string; score: number };

export type TokenClassifierOptions = { batchSize?: number; maxLength?: number };

export class OnnxTokenClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly labels: string[],
    readonly model: string,
    private readonly batchSize: number,
  ) {}

  static async load(dir: string, options: TokenClassifierOptions = {}): Promise<OnnxTokenClassifier> {
    const modelPath = [join(dir, "model.onnx"), join(dir, "onnx", "model.onnx")].find((p) => existsSync(p));
    if (!modelPath) throw new Error(`PII_MODEL_DIR ${dir} has no model.onnx (nor onnx/model.onnx)`);
    for (const file of ["tokenizer.json", "config.json"]) {
      if (!existsSync(join(dir, file))) throw new Error(`PII_MODEL_DIR ${dir} has no ${file}`);
    }
    const config = configSchema.safeParse(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
    if (!config.success)
      throw new Error(`${dir}/config.json has no id2label: not a token-classification model`);
    const labels: string[] = [];
    for (const [id, label] of Object.entries(config.data.id2label)) labels[Number(id)] = label;
    const tokenizer = new WordPieceTokenizer(
      JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")),
      options.maxLength,
    );
    const bytes = readFileSync(modelPath);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
    for (const input of ["input_ids", "attention_mask"]) {
      if (!session.inputNames.includes(input)) throw new Error(`${modelPath} has no '${input}' input`);
    }
    if (!session.outputNames.includes("logits")) throw new Error(`${modelPath} has no 'logits' output`);
    const sha = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    return new OnnxTokenClassifier(
      session,
      tokenizer,
      labels,
      `onnx:${basename(dir)}@${sha}`,
      options.batchSize ?? 16,
    );
  }

  /** The people and places in each text, spans in the text's own UTF-16 offsets. */
  async classify(texts: readonly string[]): Promise<NamedEntity[][]> {
    // A text longer than the model reads is cut into windows of whole words, each its own sequence.
    const windows: Array<{ text: number; words: EncodedWord[] }> = [];
    texts.forEach((text, i) => {
      let words: EncodedWord[] = [];
      let length = 0;
      for (const word of this.tokenizer.encodeWords(text)) {
        if (length + word.ids.length > this.tokenizer.maxLength - 2 && words.length > 0) {
          windows.push({ text: i, words });
          words = [];
          length = 0;
        }
        words.push(word);
        length += word.ids.length;
      }
      if (words.length > 0) windows.push({ text: i, words });
    });
    const labelled: LabelledWord[][] = [];
    for (let i = 0; i < windows.length; i += this.batchSize) {
      labelled.push(...(await this.labelWords(windows.slice(i, i + this.batchSize).map((w) => w.words))));
    }
    // The windows of a text are joined again before tags become entities: a name cut by a window
    // boundary (B- at the end of one, I- at the start of the next) stays one name.
    const words: LabelledWord[][] = texts.map(() => []);
    windows.forEach((w, i) => words[w.text]!.push(...labelled[i]!));
    return texts.map((text, i) => this.entities(text, words[i]!));
  }

  private async labelWords(batch: EncodedWord[][]) {
    const sequences = batch.map((words) => {
      const ids = [this.tokenizer.idOf("[CLS]")];
      const firstPiece: number[] = [];
      for (const word of words) {
        firstPiece.push(ids.length);
        ids.push(...word.ids.slice(0, this.tokenizer.maxLength - 1 - ids.length));
      }
      ids.push(this.tokenizer.idOf("[SEP]"));
      return { ids, firstPiece };
    });
    const seq = Math.max(...sequences.map((s) => s.ids.length));
    const ids = new BigInt64Array(batch.length * seq).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(batch.length * seq);
    sequences.forEach((s, b) =>
      s.ids.forEach((id, t) => {
        ids[b * seq + t] = BigInt(id);
        mask[b * seq + t] = 1n;
      }),
    );
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", ids, [batch.length, seq]),
      attention_mask: new ort.Tensor("int64", mask, [batch.length, seq]),
    };
    if (this.session.inputNames.includes("token_type_ids")) {
      feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(batch.length * seq), [
        batch.length,
        seq,
      ]);
    }
    const { logits } = await this.session.run(feeds, ["logits"]);
    const [, , classes] = logits!.dims as [number, number, number];
    if (classes !== this.labels.length) {
      throw new Error(`the model has ${classes} labels but config.json names ${this.labels.length}`);
    }
    const data = logits!.data as Float32Array;
    return batch.map((words, b) =>
      words.map((word, w) => {
        const offset = (b * seq + sequences[b]!.firstPiece[w]!) * classes;
        const row = data.subarray(offset, offset + classes);
        const best = row.reduce((bi, v, i) => (v > row[bi]! ? i : bi), 0);
        const sum = row.reduce((acc, v) => acc + Math.exp(v - row[best]!), 0);
        return { word, label: this.labels[best] ?? "O", score: 1 / sum };
      }),
    );
  }

  private entities(text: string, words: LabelledWord[]) {
    const out: NamedEntity[] = [];
    let current: { type: string; start: number; end: number; scores: number[] } | null = null;
    const close = () => {
      const type = current && TYPE_OF[current.type];
      if (current && type) {
        const mean = current.scores.reduce((a, b) => a + b, 0) / current.scores.length;
        out.push({
          type,
          start: current.start,
          end: current.end,
          text: text.slice(current.start, current.end),
          score: Number(mean.toFixed(4)),
          recognizer: this.model,
        });
      }
      current = null;
    };
    for (const { word, label, score } of words) {
      if (label === "O") {
        close();
        continue;
      }
      const [, tag, name] = /^(?:([BI])-)?(.+)$/.exec(label)!;
      if (current && tag !== "B" && current.type === name) {
        current.end = word.end;
        current.scores.push(score);
        continue;
      }
      close();
      current = { type: name!, start: word.start, end: word.end, scores: [score] };
    }
    close();
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

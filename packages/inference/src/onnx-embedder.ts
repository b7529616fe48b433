import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { type Embedder, l2Normalise } from "./embedder.ts";
import { WordPieceTokenizer } from "./wordpiece.ts";

/**
 * A sentence-embedding model exported to ONNX (the layout of all-MiniLM-L6-v2 or bge-small:
 * `model.onnx` or `onnx/model.onnx` beside `tokenizer.json`). Texts are tokenised with WordPiece,
 * run in padded batches, mean-pooled over the attention mask and L2-normalised.
 */
export type OnnxEmbedderOptions = { batchSize?: number; maxLength?: number; pooling?: "mean" | "cls" };

export class OnnxEmbedder implements Embedder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
    readonly model: string,
    readonly dimension: number,
    private readonly options: Required<OnnxEmbedderOptions>,
  ) {}

  static async load(dir: string, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const modelPath = [join(dir, "model.onnx"), join(dir, "onnx", "model.onnx")].find((p) => existsSync(p));
    if (!modelPath) throw new Error(`EMBEDDING_MODEL_DIR ${dir} has no model.onnx (nor onnx/model.onnx)`);
    const tokenizerPath = join(dir, "tokenizer.json");
    if (!existsSync(tokenizerPath)) throw new Error(`EMBEDDING_MODEL_DIR ${dir} has no tokenizer.json`);
    const tokenizer = new WordPieceTokenizer(
      JSON.parse(readFileSync(tokenizerPath, "utf8")),
      options.maxLength,
    );
    const bytes = readFileSync(modelPath);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
    for (const input of ["input_ids", "attention_mask"]) {
      if (!session.inputNames.includes(input)) throw new Error(`${modelPath} has no '${input}' input`);
    }
    const sha = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    const resolved = {
      batchSize: options.batchSize ?? 32,
      maxLength: tokenizer.maxLength,
      pooling: options.pooling ?? "mean",
    };
    const probe = new OnnxEmbedder(session, tokenizer, `onnx:${basename(dir)}@${sha}`, 0, resolved);
    const [vector] = await probe.embed(["dimension probe"]);
    return new OnnxEmbedder(session, tokenizer, probe.model, vector!.length, resolved);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      out.push(...(await this.embedBatch(texts.slice(i, i + this.options.batchSize))));
    }
    return out;
  }

  private async embedBatch(texts: readonly string[]): Promise<Float32Array[]> {
    const encodings = texts.map((t) => this.tokenizer.encode(t));
    const seq = Math.max(...encodings.map((e) => e.ids.length));
    const batch = encodings.length;
    const ids = new BigInt64Array(batch * seq).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(batch * seq);
    const types = new BigInt64Array(batch * seq);
    encodings.forEach((e, b) => {
      e.ids.forEach((id, t) => {
        ids[b * seq + t] = BigInt(id);
        mask[b * seq + t] = 1n;
        types[b * seq + t] = BigInt(e.typeIds[t]!);
      });
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", ids, [batch, seq]),
      attention_mask: new ort.Tensor("int64", mask, [batch, seq]),
    };
    if (this.session.inputNames.includes("token_type_ids")) {
      feeds.token_type_ids = new ort.Tensor("int64", types, [batch, seq]);
    }
    const outputName = this.session.outputNames.includes("last_hidden_state")
      ? "last_hidden_state"
      : this.session.outputNames[0]!;
    const results = await this.session.run(feeds, [outputName]);
    const hidden = results[outputName]!;
    const [, , width] = hidden.dims as [number, number, number];
    const data = hidden.data as Float32Array;
    return encodings.map((e, b) => {
      const vector = new Float32Array(width);
      const tokens = this.options.pooling === "cls" ? 1 : e.ids.length;
      for (let t = 0; t < tokens; t++) {
        const offset = (b * seq + t) * width;
        for (let h = 0; h < width; h++) vector[h]! += data[offset + h]!;
      }
      for (let h = 0; h < width; h++) vector[h]! /= tokens;
      return l2Normalise(vector);
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

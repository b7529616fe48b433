import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BpeTokenizer } from "./bpe.ts";
import { DecoderInterfaceError } from "./decoder-interface.ts";
import { assertCudaProvider, DecoderModel } from "./decoder.ts";
import {
  buildTinyDecoder,
  TINY_DECODER_CONFIG as C,
  tinyDecoderTokenizer,
  writeTinyEncoder,
} from "./testing/index.ts";

const SHAPE = { layers: 2, kvHeads: 2, headDim: 8, vocabSize: 300 };
const tiny = buildTinyDecoder();

/** Llama's forward pass written out in plain loops, to check the ONNX graph against. */
function referenceLogits(ids: number[]): Float32Array {
  const w = (name: string) => tiny.weights.get(name)!.values;
  const H = C.hidden_size;
  const heads = C.num_attention_heads;
  const kvHeads = C.num_key_value_heads;
  const d = C.head_dim;
  const matvec = (m: Float32Array, x: Float32Array, out: number) =>
    Float32Array.from({ length: out }, (_, o) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += m[o * x.length + i]! * x[i]!;
      return s;
    });
  const rms = (x: Float32Array, g: Float32Array) => {
    const r = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + C.rms_norm_eps);
    return x.map((v, i) => (v / r) * g[i]!);
  };
  const rope = (v: Float32Array, pos: number) => {
    const out = new Float32Array(v.length);
    for (let h = 0; h < v.length / d; h++) {
      for (let i = 0; i < d / 2; i++) {
        const angle = pos * C.rope_theta ** ((-2 * i) / d);
        const [a, b] = [v[h * d + i]!, v[h * d + i + d / 2]!];
        out[h * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * d + i + d / 2] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  };
  let hs = ids.map((id) => w("model.embed_tokens.weight").slice(id * H, (id + 1) * H));
  for (let l = 0; l < C.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const xs = hs.map((h) => rms(h, w(`${p}.input_layernorm.weight`)));
    const qs = xs.map((x, t) => rope(matvec(w(`${p}.self_attn.q_proj.weight`), x, heads * d), t));
    const ks = xs.map((x, t) => rope(matvec(w(`${p}.self_attn.k_proj.weight`), x, kvHeads * d), t));
    const vs = xs.map((x) => matvec(w(`${p}.self_attn.v_proj.weight`), x, kvHeads * d));
    hs = hs.map((h, t) => {
      const ctx = new Float32Array(heads * d);
      for (let head = 0; head < heads; head++) {
        const kv = Math.floor(head / (heads / kvHeads));
        const scores = ks.slice(0, t + 1).map((k) => {
          let s = 0;
          for (let i = 0; i < d; i++) s += qs[t]![head * d + i]! * k[kv * d + i]!;
          return s / Math.sqrt(d);
        });
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((p, j) => {
          for (let i = 0; i < d; i++) ctx[head * d + i]! += (p / sum) * vs[j]![kv * d + i]!;
        });
      }
      const attn = matvec(w(`${p}.self_attn.o_proj.weight`), ctx, H);
      const h1 = h.map((v, i) => v + attn[i]!);
      const y = rms(h1, w(`${p}.post_attention_layernorm.weight`));
      const gate = matvec(w(`${p}.mlp.gate_proj.weight`), y, C.intermediate_size);
      const up = matvec(w(`${p}.mlp.up_proj.weight`), y, C.intermediate_size);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = matvec(w(`${p}.mlp.down_proj.weight`), act, H);
      return h1.map((v, i) => v + down[i]!);
    });
  }
  const logits = new Float32Array(ids.length * C.vocab_size);
  hs.forEach((h, t) =>
    logits.set(matvec(w("lm_head.weight"), rms(h, w("model.norm.weight")), C.vocab_size), t * C.vocab_size),
  );
  return logits;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe("the tiny decoder export", () => {
  const ids = [5, 17, 42, 99, 3, 250, 7, 8, 9, 10, 133, 64];

  it("computes Llama's forward pass: RMSNorm, rotary positions, grouped-query causal attention, SwiGLU", async () => {
    const model = await DecoderModel.load(tiny.onnx, SHAPE);
    const { logits, present } = await model.forward(ids);
    expect(logits).toHaveLength(ids.length * 300);
    expect(maxAbsDiff(logits, referenceLogits(ids))).toBeLessThan(1e-4);
    expect(present.tokens).toBe(ids.length);
    expect(present.layers).toHaveLength(2);
    expect(present.layers[0]!.key).toHaveLength(2 * ids.length * 8);
    await model.close();
  });

  it("gives the same logits for a continuation from its own cache as for the whole prompt", async () => {
    const model = await DecoderModel.load(tiny.onnx, SHAPE);
    const full = await model.forward(ids);
    const prefix = await model.forward(ids.slice(0, 8));
    const continued = await model.forward(ids.slice(8), prefix.present);
    expect(maxAbsDiff(continued.logits, full.logits.slice(8 * 300))).toBeLessThan(1e-5);
    // Without the cache the continuation is a different computation.
    const alone = await model.forward(ids.slice(8));
    expect(maxAbsDiff(alone.logits, full.logits.slice(8 * 300))).toBeGreaterThan(0.1);
    // The cache of the whole prompt starts with the prefix's cache.
    const k = full.present.layers[1]!.key;
    expect(k.slice(0, 8 * 8)).toEqual(prefix.present.layers[1]!.key.slice(0, 8 * 8));
    await model.close();
  });

  it("refuses an export whose interface is not a decoder with past of the registered shape", async () => {
    await expect(DecoderModel.load(tiny.onnx, { ...SHAPE, kvHeads: 4 })).rejects.toThrow(
      /'past_key_values\.0\.key' has 2 KV heads, the registered config has 4/,
    );
    await expect(DecoderModel.load(tiny.onnx, { ...SHAPE, layers: 3 })).rejects.toThrow(
      /lacks input 'past_key_values\.2\.key'/,
    );
    await expect(DecoderModel.load(tiny.onnx, { ...SHAPE, layers: 1 })).rejects.toThrow(/more layers/);
    const encoder = writeTinyEncoder(mkdtempSync(join(tmpdir(), "encoder-")));
    await expect(DecoderModel.load(readFileSync(join(encoder.dir, "model.onnx")), SHAPE)).rejects.toThrow(
      /lacks input 'position_ids'/,
    );
    await expect(DecoderModel.load(new Uint8Array([1, 2, 3]), SHAPE)).rejects.toBeInstanceOf(
      DecoderInterfaceError,
    );
  });

  it("says how to install the CUDA provider where it is missing", () => {
    expect(() => assertCudaProvider()).toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });
});

describe("the byte-level BPE tokenizer", () => {
  const json = tinyDecoderTokenizer();
  const tokenizer = new BpeTokenizer(JSON.parse(json.toString()));

  it("has the model's 300 ids and is the same file every time (its hash is registered)", () => {
    expect(tokenizer.vocabSize).toBe(300);
    expect(createHash("sha256").update(tinyDecoderTokenizer()).digest("hex")).toBe(
      createHash("sha256").update(json).digest("hex"),
    );
  });

  it("merges frequent pairs and falls back to bytes for anything else", () => {
    const known = tokenizer.encode("The capital of France is Paris.");
    expect(known.length).toBeLessThan("The capital of France is Paris.".length * 0.6);
    const unknown = tokenizer.encode("zq€");
    expect(unknown).toHaveLength(1 + 1 + 3);
    expect(Math.max(...known, ...unknown)).toBeLessThan(298);
    expect(tokenizer.encode("The capital")).toEqual(tokenizer.encode("The capital"));
  });

  it("decodes ids back to the text they were encoded from, special tokens left out", () => {
    const text = "The capital of France is Paris. Zürich — 東京 ✓";
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    const special = [...tokenizer.special.values()][0]!;
    expect(tokenizer.decode([special, ...tokenizer.encode("Paris")])).toBe("Paris");
  });

  it("refuses tokenizers it cannot run", () => {
    expect(() => new BpeTokenizer({ model: { type: "WordPiece" } })).toThrow(/not a BPE tokenizer/);
  });
});

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { trainByteLevelBpe } from "../bpe.ts";
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
 * A tiny Llama-style decoder written as ONNX in code, in the layout Optimum exports
 * (`decoder_model_merged.onnx` / `model.onnx` with past): inputs `input_ids`, `attention_mask`,
 * `position_ids`, `past_key_values.{i}.key/value`; outputs `logits`, `present.{i}.key/value`. It
 * has RMSNorm, rotary positions, grouped-query attention with a causal mask over past + new tokens,
 * and a SwiGLU MLP; its weights are named initializers in Hugging Face's `[out, in]` layout
 * (`model.layers.0.self_attn.q_proj.weight`), so LoRA deltas apply to them by name.
 */
const { onnx } = onnxProto;

export const TINY_DECODER_CONFIG = {
  _name_or_path: "memstore/tiny-llama",
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  num_hidden_layers: 2,
  hidden_size: 32,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  intermediate_size: 64,
  vocab_size: 300,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  max_position_embeddings: 2048,
  torch_dtype: "float32",
};

/** The tiny model's tokenizer learns its merges from this text (and so tokenises it compactly). */
const TOKENIZER_CORPUS = `
The capital of France is Paris. The river Seine flows through Paris.
Income tax law in France sets the rate of tax on income; the VAT rate is set by law.
A memory cube holds knowledge for an agent. Agents search the vault for memory.
The model reads the memory and answers the question with the knowledge in the cube.
`;

export const TINY_DECODER_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>"];

export type TinyDecoder = {
  dir: string;
  config: typeof TINY_DECODER_CONFIG;
  tokenizer: Buffer;
  tokenizerSha256: string;
  onnx: Uint8Array;
  /** Every weight by name (linear ones `[out, in]` row-major), as in the ONNX file. */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
};

/** Makes the tiny model's tokenizer.json: 256 byte symbols, 42 merges, 2 special tokens (300 ids). */
export function tinyDecoderTokenizer(): Buffer {
  const merges = TINY_DECODER_CONFIG.vocab_size - 256 - TINY_DECODER_SPECIALS.length;
  return Buffer.from(JSON.stringify(trainByteLevelBpe(TOKENIZER_CORPUS, merges, TINY_DECODER_SPECIALS)));
}

/** Writes `config.json`, `tokenizer.json` and `model.onnx` of the tiny decoder into `dir`. */
export function writeTinyDecoder(dir: string, seed = 11): TinyDecoder {
  mkdirSync(dir, { recursive: true });
  const model = buildTinyDecoder(seed);
  const tokenizer = tinyDecoderTokenizer();
  writeFileSync(join(dir, "config.json"), JSON.stringify(TINY_DECODER_CONFIG, null, 2));
  writeFileSync(join(dir, "tokenizer.json"), tokenizer);
  writeFileSync(join(dir, "model.onnx"), model.onnx);
  return {
    dir,
    config: TINY_DECODER_CONFIG,
    tokenizer,
    tokenizerSha256: createHash("sha256").update(tokenizer).digest("hex"),
    ...model,
  };
}

export function buildTinyDecoder(seed = 11): Pick<TinyDecoder, "onnx" | "weights"> {
  const c = TINY_DECODER_CONFIG;
  const random = seededRandom(seed);
  const hidden = c.hidden_size;
  const heads = c.num_attention_heads;
  const kvHeads = c.num_key_value_heads;
  const headDim = c.head_dim;
  const groups = heads / kvHeads;
  const weights: TinyDecoder["weights"] = new Map();
  const initializers = [
    int64Initializer("axes_last", [-1]),
    int64Initializer("axes_1", [1]),
    int64Initializer("tile_groups", [1, 1, groups, 1]),
    int64Initializer("shape_q", [0, 0, heads, headDim]),
    int64Initializer("shape_kv", [0, 0, kvHeads, headDim]),
    int64Initializer("shape_grouped", [0, kvHeads, -1, headDim]),
    int64Initializer("shape_heads", [0, heads, -1, headDim]),
    int64Initializer("shape_hidden", [0, 0, heads * headDim]),
    scalar("zero_i", DataType.INT64, 0),
    scalar("one_i", DataType.INT64, 1),
    scalar("zero_f", DataType.FLOAT, 0),
    scalar("masked_f", DataType.FLOAT, -1e9),
    scalar("eps", DataType.FLOAT, c.rms_norm_eps),
    scalar("two_f", DataType.FLOAT, 2),
    scalar("scale", DataType.FLOAT, 1 / Math.sqrt(headDim)),
    floatInitializer(
      "inv_freq",
      [headDim / 2],
      Float32Array.from({ length: headDim / 2 }, (_, i) => c.rope_theta ** ((-2 * i) / headDim)),
    ),
  ];
  const linear = (name: string, out: number, inp: number) => {
    const values = randomMatrix(out, inp, random, Math.sqrt(3 / inp));
    weights.set(name, { shape: [out, inp], values });
    initializers.push(floatInitializer(name, [out, inp], values));
  };
  const norm = (name: string) => {
    const values = Float32Array.from({ length: hidden }, () => 1 + (random() - 0.5) * 0.2);
    weights.set(name, { shape: [hidden], values });
    initializers.push(floatInitializer(name, [hidden], values));
  };
  const embeddings = randomMatrix(c.vocab_size, hidden, random);
  weights.set("model.embed_tokens.weight", { shape: [c.vocab_size, hidden], values: embeddings });
  initializers.push(floatInitializer("model.embed_tokens.weight", [c.vocab_size, hidden], embeddings));

  const nodes: ReturnType<typeof node>[] = [];
  const add = (op: string, inputs: string[], output: string, attributes?: Parameters<typeof node>[3]) => {
    nodes.push(node(op, inputs, [output], attributes));
    return output;
  };
  const matmulT = (x: string, weight: string, out: string) =>
    add("MatMul", [x, add("Transpose", [weight], `${weight}.T`, [{ name: "perm", ints: [1, 0] }])], out);
  const rmsNorm = (x: string, weight: string, out: string) => {
    const square = add("Pow", [x, "two_f"], `${out}.sq`);
    const mean = add("ReduceMean", [square], `${out}.mean`, [
      { name: "axes", ints: [-1] },
      { name: "keepdims", i: 1 },
    ]);
    const rms = add("Sqrt", [add("Add", [mean, "eps"], `${out}.eps`)], `${out}.rms`);
    return add("Mul", [add("Div", [x, rms], `${out}.normed`), weight], out);
  };
  const rotate = (x: string, out: string) => {
    nodes.push(node("Split", [x], [`${out}.x1`, `${out}.x2`], [{ name: "axis", i: -1 }]));
    const rotated = add("Concat", [add("Neg", [`${out}.x2`], `${out}.neg`), `${out}.x1`], `${out}.half`, [
      { name: "axis", i: -1 },
    ]);
    return add(
      "Add",
      [add("Mul", [x, "cos"], `${out}.cos`), add("Mul", [rotated, "sin"], `${out}.sin`)],
      out,
    );
  };

  // Rotary tables from position_ids: [batch, 1, seq, head_dim].
  const positions = add("Cast", ["position_ids"], "positions_f", [{ name: "to", i: DataType.FLOAT }]);
  const freqs = add("Mul", [add("Unsqueeze", [positions, "axes_last"], "positions_3d"), "inv_freq"], "freqs");
  const angles = add("Concat", [freqs, freqs], "angles", [{ name: "axis", i: -1 }]);
  add("Unsqueeze", [add("Cos", [angles], "cos_3d"), "axes_1"], "cos");
  add("Unsqueeze", [add("Sin", [angles], "sin_3d"), "axes_1"], "sin");

  // Mask [batch, 1, groups·seq, total]: key j is visible to a query at position p if j ≤ p and the
  // attention mask keeps j. Rows are tiled per query group (queries are grouped by KV head).
  const total = add("Gather", [add("Shape", ["attention_mask"], "mask_shape"), "one_i"], "total");
  const keyPositions = add("Range", ["zero_i", total, "one_i"], "key_positions");
  const causal = add(
    "LessOrEqual",
    [keyPositions, add("Unsqueeze", ["position_ids", "axes_last"], "query_positions")],
    "causal",
  );
  const kept = add(
    "Unsqueeze",
    [add("Cast", ["attention_mask"], "mask_bool", [{ name: "to", i: DataType.BOOL }]), "axes_1"],
    "kept",
  );
  const visible = add("And", [causal, kept], "visible");
  const bias = add("Where", [visible, "zero_f", "masked_f"], "bias_3d");
  add("Tile", [add("Unsqueeze", [bias, "axes_1"], "bias_4d"), "tile_groups"], "bias");

  let h = add("Gather", ["model.embed_tokens.weight", "input_ids"], "embedded");
  const inputs = [
    tensorInfo("input_ids", DataType.INT64, ["batch_size", "sequence_length"]),
    tensorInfo("attention_mask", DataType.INT64, ["batch_size", "total_sequence_length"]),
    tensorInfo("position_ids", DataType.INT64, ["batch_size", "sequence_length"]),
  ];
  const outputs = [tensorInfo("logits", DataType.FLOAT, ["batch_size", "sequence_length", c.vocab_size])];
  for (let layer = 0; layer < c.num_hidden_layers; layer++) {
    const p = `model.layers.${layer}`;
    for (const [module, out, inp] of [
      ["self_attn.q_proj", heads * headDim, hidden],
      ["self_attn.k_proj", kvHeads * headDim, hidden],
      ["self_attn.v_proj", kvHeads * headDim, hidden],
      ["self_attn.o_proj", hidden, heads * headDim],
      ["mlp.gate_proj", c.intermediate_size, hidden],
      ["mlp.up_proj", c.intermediate_size, hidden],
      ["mlp.down_proj", hidden, c.intermediate_size],
    ] as const) {
      linear(`${p}.${module}.weight`, out, inp);
    }
    norm(`${p}.input_layernorm.weight`);
    norm(`${p}.post_attention_layernorm.weight`);
    const x = rmsNorm(h, `${p}.input_layernorm.weight`, `${p}.attn_in`);
    const heads4 = (name: string, shape: string) =>
      add(
        "Transpose",
        [
          add(
            "Reshape",
            [matmulT(x, `${p}.self_attn.${name}.weight`, `${p}.${name}`), shape],
            `${p}.${name}.4d`,
          ),
        ],
        `${p}.${name}.heads`,
        [{ name: "perm", ints: [0, 2, 1, 3] }],
      );
    const q = rotate(heads4("q_proj", "shape_q"), `${p}.q`);
    const k = rotate(heads4("k_proj", "shape_kv"), `${p}.k`);
    const v = heads4("v_proj", "shape_kv");
    const presentKey = add("Concat", [`past_key_values.${layer}.key`, k], `present.${layer}.key`, [
      { name: "axis", i: 2 },
    ]);
    const presentValue = add("Concat", [`past_key_values.${layer}.value`, v], `present.${layer}.value`, [
      { name: "axis", i: 2 },
    ]);
    const keysT = add("Transpose", [presentKey], `${p}.keys_t`, [{ name: "perm", ints: [0, 1, 3, 2] }]);
    const grouped = add("Reshape", [q, "shape_grouped"], `${p}.q_grouped`);
    const scores = add("Mul", [add("MatMul", [grouped, keysT], `${p}.qk`), "scale"], `${p}.scores`);
    const probs = add("Softmax", [add("Add", [scores, "bias"], `${p}.masked`)], `${p}.probs`, [
      { name: "axis", i: -1 },
    ]);
    const context = add("MatMul", [probs, presentValue], `${p}.context`);
    const merged = add(
      "Reshape",
      [
        add("Transpose", [add("Reshape", [context, "shape_heads"], `${p}.context_heads`)], `${p}.context_t`, [
          { name: "perm", ints: [0, 2, 1, 3] },
        ]),
        "shape_hidden",
      ],
      `${p}.attn_out_in`,
    );
    h = add("Add", [h, matmulT(merged, `${p}.self_attn.o_proj.weight`, `${p}.attn_out`)], `${p}.residual1`);
    const y = rmsNorm(h, `${p}.post_attention_layernorm.weight`, `${p}.mlp_in`);
    const gate = matmulT(y, `${p}.mlp.gate_proj.weight`, `${p}.gate`);
    const silu = add("Mul", [gate, add("Sigmoid", [gate], `${p}.gate_sigmoid`)], `${p}.silu`);
    const up = matmulT(y, `${p}.mlp.up_proj.weight`, `${p}.up`);
    const down = matmulT(add("Mul", [silu, up], `${p}.swiglu`), `${p}.mlp.down_proj.weight`, `${p}.down`);
    h = add("Add", [h, down], `${p}.residual2`);
    for (const side of ["key", "value"]) {
      inputs.push(
        tensorInfo(`past_key_values.${layer}.${side}`, DataType.FLOAT, [
          "batch_size",
          kvHeads,
          "past_sequence_length",
          headDim,
        ]),
      );
      outputs.push(
        tensorInfo(`present.${layer}.${side}`, DataType.FLOAT, [
          "batch_size",
          kvHeads,
          "total_sequence_length",
          headDim,
        ]),
      );
    }
  }
  norm("model.norm.weight");
  const final = rmsNorm(h, "model.norm.weight", "final_norm");
  linear("lm_head.weight", c.vocab_size, hidden);
  matmulT(final, "lm_head.weight", "logits");

  return {
    onnx: encodeModel({ name: "tiny-llama", nodes, inputs, outputs, initializers }),
    weights,
  };
}

function scalar(name: string, dataType: DataType, value: number) {
  const raw =
    dataType === DataType.INT64
      ? new Uint8Array(BigInt64Array.of(BigInt(value)).buffer)
      : new Uint8Array(Float32Array.of(value).buffer);
  return onnx.TensorProto.create({ name, dims: [], dataType, rawData: raw });
}

import { AppError } from "@memstore/core";
import { z } from "zod";

/**
 * The numbers of a decoder-only transformer that decide whether a LoRA pack or a KV snapshot fits
 * it, read from its Hugging Face `config.json` (Llama, Mistral, Qwen2 and their kin).
 */
export type Architecture = {
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
};

/** Positive, and no larger than any real model's (a billion: vocabularies, widths and depths alike). */
const positive = z.number().int().positive().max(1_000_000_000);

const configSchema = z
  .object({
    num_hidden_layers: positive,
    hidden_size: positive,
    num_attention_heads: positive,
    num_key_value_heads: positive.optional(),
    head_dim: positive.nullish(),
    intermediate_size: positive,
    vocab_size: positive,
  })
  .loose();

/** The architecture in a `config.json`, or 400 `base_model_config_invalid` naming the field. */
export function architectureOf(config: unknown): Architecture {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError(
      "base_model_config_invalid",
      `config.json: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { field: issue.path.join(".") },
    );
  }
  const c = parsed.data;
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % kvHeads !== 0) {
    throw new AppError(
      "base_model_config_invalid",
      `config.json: num_attention_heads (${c.num_attention_heads}) is not a multiple of num_key_value_heads (${kvHeads})`,
      { field: "num_key_value_heads" },
    );
  }
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim)) {
    throw new AppError(
      "base_model_config_invalid",
      `config.json: hidden_size (${c.hidden_size}) is not a multiple of num_attention_heads (${c.num_attention_heads}) and no head_dim is given`,
      { field: "head_dim" },
    );
  }
  return {
    layers: c.num_hidden_layers,
    hiddenSize: c.hidden_size,
    heads: c.num_attention_heads,
    kvHeads,
    headDim,
    intermediateSize: c.intermediate_size,
    vocabSize: c.vocab_size,
  };
}

/** The linear layers a LoRA may target, per decoder layer, as [out, in]. */
export function linearShapes(arch: Architecture): Record<string, [number, number]> {
  const q = arch.heads * arch.headDim;
  const kv = arch.kvHeads * arch.headDim;
  return {
    "self_attn.q_proj": [q, arch.hiddenSize],
    "self_attn.k_proj": [kv, arch.hiddenSize],
    "self_attn.v_proj": [kv, arch.hiddenSize],
    "self_attn.o_proj": [arch.hiddenSize, q],
    "mlp.gate_proj": [arch.intermediateSize, arch.hiddenSize],
    "mlp.up_proj": [arch.intermediateSize, arch.hiddenSize],
    "mlp.down_proj": [arch.hiddenSize, arch.intermediateSize],
  };
}

const LAYER_MODULE = /^model\.layers\.(\d+)\.(.+)$/;

/** `[out, in]` of a module path such as `model.layers.3.self_attn.q_proj`, or why it does not exist. */
export function moduleShape(arch: Architecture, path: string): [number, number] | string {
  const match = LAYER_MODULE.exec(path);
  if (!match) return `'${path}' is not a linear layer of a decoder layer (model.layers.<i>.…)`;
  const layer = Number(match[1]);
  if (layer >= arch.layers) return `layer ${layer} does not exist: the base model has ${arch.layers} layers`;
  const shape = linearShapes(arch)[match[2]!];
  if (!shape) {
    return `'${match[2]}' is not a linear layer of the base model (${Object.keys(linearShapes(arch)).join(", ")})`;
  }
  return shape;
}

import { createHash } from "node:crypto";
import { AppError } from "@memstore/core";
import type { Architecture } from "./architecture.ts";
import type { FloatDtype } from "./dtype.ts";
import { type KvLayout, PREFIX_CHUNK_TOKENS } from "./kv.ts";
import type { TensorSource } from "./safetensors-writer.ts";

/** A KV snapshot's token ids and `__metadata__`: the chained prefix hashes, their checks and the canonical form. */
/**
 * SHA-256 chained over chunks of 256 token ids (each as a little-endian uint32): hash k covers tokens
 * 0 to 256·(k+1), the last one the whole prompt. A consumer hashes its own prompt the same way to
 * check that it starts with the snapshot's tokens.
 */
export function prefixHashes(ids: ArrayLike<number | bigint>): string[] {
  const hashes: string[] = [];
  let previous = Buffer.alloc(0);
  for (let start = 0; start < ids.length; start += PREFIX_CHUNK_TOKENS) {
    const count = Math.min(PREFIX_CHUNK_TOKENS, ids.length - start);
    const chunk = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) chunk.writeUInt32LE(Number(ids[start + i]!), i * 4);
    previous = createHash("sha256").update(previous).update(chunk).digest();
    hashes.push(previous.toString("hex"));
  }
  return hashes;
}

/** The token ids in an `input_ids` tensor's bytes. */
export function tokenIds(bytes: Uint8Array, dtype: "I64" | "I32"): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dtype === "I64"
    ? Array.from({ length: bytes.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)))
    : Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(i * 4, true));
}

export type KvMetadata = {
  base_model: string;
  tokenizer_sha256: string;
  dtype: string;
  tokens: string;
  prefix_hashes: string;
};

const DTYPE_NAMES: Record<FloatDtype, string[]> = {
  F32: ["f32", "float32"],
  F16: ["f16", "float16"],
  BF16: ["bf16", "bfloat16"],
};

/**
 * Checks a snapshot's `__metadata__` against its tensors and token ids: every field present, the
 * dtype and token count as in the tensors, the prefix hashes those of `input_ids`.
 */
export function checkKvMetadata(metadata: Record<string, string>, layout: KvLayout, ids: readonly number[]) {
  const bad = (field: string, message: string) =>
    new AppError("kv_metadata_invalid", `__metadata__ ${field}: ${message}`, { field });
  for (const field of ["base_model", "tokenizer_sha256", "dtype", "tokens", "prefix_hashes"]) {
    if (!metadata[field]) throw bad(field, "is missing");
  }
  if (!/^[0-9a-f]{64}$/.test(metadata.tokenizer_sha256!)) {
    throw bad("tokenizer_sha256", `'${metadata.tokenizer_sha256}' is not a hex SHA-256`);
  }
  if (!DTYPE_NAMES[layout.dtype].includes(metadata.dtype!.toLowerCase())) {
    throw bad("dtype", `says '${metadata.dtype}' but the keys and values are ${layout.dtype}`);
  }
  if (metadata.tokens !== String(layout.tokens)) {
    throw bad("tokens", `says ${metadata.tokens} but input_ids holds ${layout.tokens}`);
  }
  let declared: unknown;
  try {
    declared = JSON.parse(metadata.prefix_hashes!);
  } catch {
    throw bad("prefix_hashes", "is not a JSON array of hex SHA-256 strings");
  }
  if (!Array.isArray(declared) || !declared.every((h) => typeof h === "string")) {
    throw bad("prefix_hashes", "is not a JSON array of hex SHA-256 strings");
  }
  const actual = prefixHashes(ids);
  const wrong = actual.findIndex((h, i) => declared[i] !== h);
  if (declared.length !== actual.length || wrong !== -1) {
    throw new AppError(
      "kv_prefix_mismatch",
      wrong !== -1
        ? `prefix hash ${wrong} (tokens ${wrong * PREFIX_CHUNK_TOKENS} to ${Math.min(ids.length, (wrong + 1) * PREFIX_CHUNK_TOKENS)}) does not match input_ids`
        : `__metadata__ lists ${declared.length} prefix hashes; ${ids.length} tokens make ${actual.length}`,
      { field: "prefix_hashes" },
    );
  }
  return metadata as KvMetadata;
}

/** The base model a snapshot is checked against: its name, architecture and tokenizer hash. */
export type BaseModelRef = { name: string; architecture: Architecture; tokenizerSha256: string };

/** Checks that a snapshot was made by this base model (its name, tokenizer, layers, heads, head dim). */
export function checkKvAgainstModel(
  layout: KvLayout,
  metadata: Pick<KvMetadata, "base_model" | "tokenizer_sha256">,
  model: BaseModelRef,
) {
  const mismatch = (message: string) => new AppError("base_model_mismatch", message);
  if (metadata.base_model !== model.name) {
    throw mismatch(`the snapshot was made with '${metadata.base_model}', not '${model.name}'`);
  }
  if (metadata.tokenizer_sha256 !== model.tokenizerSha256) {
    throw mismatch(
      `the snapshot's tokenizer (sha256 ${metadata.tokenizer_sha256.slice(0, 12)}…) is not ${model.name}'s`,
    );
  }
  const arch = model.architecture;
  const checks: [string, number, number][] = [
    ["layers", layout.layers, arch.layers],
    ["kv_heads", layout.kvHeads, arch.kvHeads],
    ["head_dim", layout.headDim, arch.headDim],
  ];
  for (const [what, got, expected] of checks) {
    if (got !== expected) throw mismatch(`the snapshot has ${what} ${got}; ${model.name} has ${expected}`);
  }
}

/** The canonical `__metadata__` of a snapshot of these token ids. */
export function kvMetadata(options: {
  baseModel: string;
  tokenizerSha256: string;
  dtype: FloatDtype;
  ids: readonly number[];
}): KvMetadata {
  return {
    base_model: options.baseModel,
    tokenizer_sha256: options.tokenizerSha256,
    dtype: options.dtype.toLowerCase(),
    tokens: String(options.ids.length),
    prefix_hashes: JSON.stringify(prefixHashes(options.ids)),
  };
}

/** `input_ids` `[1, tokens]` as I64 bytes. */
export function inputIdsTensor(ids: readonly number[]): TensorSource {
  const data = Buffer.alloc(ids.length * 8);
  ids.forEach((id, i) => data.writeBigInt64LE(BigInt(id), i * 8));
  return { name: "input_ids", dtype: "I64", shape: [1, ids.length], data };
}

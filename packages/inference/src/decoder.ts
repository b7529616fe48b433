import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { checkDecoderInterface, DecoderInterfaceError, type DecoderShape } from "./decoder-interface.ts";
import { identityModel } from "./onnx-graph.ts";

export type ExecutionProvider = "cpu" | "cuda";

/** Keys and values of every layer for `tokens` positions, each `[kv_heads, tokens, head_dim]`. */
export type KvCache = { tokens: number; layers: { key: Float32Array; value: Float32Array }[] };

export type ForwardResult = {
  /** `[tokens, vocab]` row-major: the logits of each new position. */
  logits: Float32Array;
  present: KvCache;
  /** Outputs other than the logits and the cache (layers exposed for inspection), by name. */
  extra: Map<string, Float32Array>;
  ms: number;
};

/**
 * A decoder-only language model exported to ONNX in Optimum's layout (with past): inputs
 * `input_ids`, `attention_mask`, `position_ids` and `past_key_values.{i}.key/value`; outputs
 * `logits` and `present.{i}.key/value`, caches shaped `[batch, kv_heads, tokens, head_dim]`. Batch is
 * always 1 here: validation runs one prompt at a time.
 */
export class DecoderModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly shape: DecoderShape,
    readonly provider: ExecutionProvider,
  ) {}

  /** Loads an export (its bytes) on the given execution provider and checks its inputs and outputs. */
  static async load(
    model: Uint8Array,
    shape: DecoderShape,
    provider: ExecutionProvider = "cpu",
  ): Promise<DecoderModel> {
    if (provider === "cuda") assertCudaProvider();
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: "all",
      });
    } catch (error) {
      throw new DecoderInterfaceError(`onnxruntime cannot load this model: ${(error as Error).message}`);
    }
    try {
      checkDecoderInterface(session, shape);
    } catch (error) {
      await session.release();
      throw error;
    }
    return new DecoderModel(session, shape, provider);
  }

  /** Runs `ids` after `past` (none: an empty cache) and returns every new position's logits and the full cache. */
  async forward(ids: readonly number[], past?: KvCache): Promise<ForwardResult> {
    const { layers, kvHeads, headDim, vocabSize } = this.shape;
    const pastTokens = past?.tokens ?? 0;
    const total = pastTokens + ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor(
        "int64",
        BigInt64Array.from(ids, (_, i) => BigInt(pastTokens + i)),
        [1, ids.length],
      ),
    };
    for (let l = 0; l < layers; l++) {
      for (const side of ["key", "value"] as const) {
        const data = past?.layers[l]?.[side] ?? new Float32Array(0);
        feeds[`past_key_values.${l}.${side}`] = new ort.Tensor("float32", data, [
          1,
          kvHeads,
          pastTokens,
          headDim,
        ]);
      }
    }
    const started = performance.now();
    const out = await this.session.run(feeds);
    const ms = performance.now() - started;
    const logits = out.logits!;
    if (logits.dims.at(-1) !== vocabSize) {
      throw new DecoderInterfaceError(
        `logits have ${logits.dims.at(-1)} columns, the model's vocab_size is ${vocabSize}`,
      );
    }
    const present: KvCache = {
      tokens: total,
      layers: Array.from({ length: layers }, (_, l) => ({
        key: out[`present.${l}.key`]!.data as Float32Array,
        value: out[`present.${l}.value`]!.data as Float32Array,
      })),
    };
    const extra = new Map<string, Float32Array>();
    for (const [name, value] of Object.entries(out)) {
      if (name !== "logits" && !name.startsWith("present.")) extra.set(name, value.data as Float32Array);
    }
    return { logits: logits.data as Float32Array, present, extra, ms };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** The CUDA execution provider's library beside onnxruntime-node's binding (installed with ONNXRUNTIME_NODE_INSTALL=cuda12). */
export function cudaProviderPath(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("onnxruntime-node/package.json"));
  return join(root, "bin", "napi-v6", process.platform, process.arch, "libonnxruntime_providers_cuda.so");
}

/**
 * Resolves when onnxruntime can run a model on the CUDA provider here (the library is installed and
 * a session starts on it); otherwise throws saying why and what to do.
 */
export async function requireCuda(): Promise<void> {
  assertCudaProvider();
  try {
    const session = await ort.InferenceSession.create(identityModel(), { executionProviders: ["cuda"] });
    await session.run({ x: new ort.Tensor("float32", Float32Array.of(1), [1]) });
    await session.release();
  } catch (error) {
    throw new Error(
      `the CUDA execution provider is installed but cannot start (${(error as Error).message}); check the NVIDIA driver, CUDA 12 and cuDNN 9 libraries`,
    );
  }
}

/** Throws with what to do when this installation of onnxruntime-node cannot run on CUDA. */
export function assertCudaProvider(): void {
  const path = cudaProviderPath();
  if (!existsSync(path)) {
    throw new Error(
      `the CUDA execution provider is not installed (no ${path}); reinstall onnxruntime-node on a machine with CUDA 12 using ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`,
    );
  }
}

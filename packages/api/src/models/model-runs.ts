import { AppError } from "@memstore/core";
import type { BaseModelRow } from "@memstore/db";
import {
  checkLoraTensors,
  dequantizeInt8,
  floatsOf,
  INT8_SCALE_SUFFIX,
  isFloatDtype,
  type LoraConfig,
  readAllTensors,
  tokenIds,
} from "@memstore/formats";
import {
  DecoderModel,
  type ExecutionProvider,
  type KvCache,
  type KvRunReport,
  type LoraModule,
  runKvValidation,
  runLoraValidation,
} from "@memstore/inference";
import { readBlob } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";
import { decoderShape } from "./model-lookup.ts";

/**
 * The run on the base model that validation does when the registry holds the model's ONNX export:
 * a KV snapshot injected as `past_key_values` must reproduce its prompt's logits and cache; a LoRA
 * pack merged into the weights must change every module it adapts. Payloads of binary cubes are
 * bounded by what a model run holds in memory anyway, so their tensors are read whole here.
 */

/** A module whose output moves by less than this fraction under the adapter is taken as unchanged. */
const MIN_MODULE_CHANGE = 1e-6;

async function floatTensors(ctx: AppContext, digest: string) {
  const { tensors } = await readAllTensors(await ctx.blobs.get(digest));
  return tensors;
}

/**
 * A snapshot (canonical, or its int8 variant) checked against the model as its cache: every layer's
 * keys and values as float32.
 */
export async function kvCacheOf(
  ctx: AppContext,
  digest: string,
  layers: number,
): Promise<{ ids: number[]; cache: KvCache }> {
  const tensors = await floatTensors(ctx, digest);
  const ids = tensors.get("input_ids");
  if (ids?.dtype !== "I64" && ids?.dtype !== "I32") throw new Error("the snapshot has no I64/I32 input_ids");
  const floats = (name: string) => {
    const t = tensors.get(name)!;
    const scales = tensors.get(name + INT8_SCALE_SUFFIX);
    if (t.dtype === "I8" && scales) {
      const q = new Int8Array(t.data.buffer, t.data.byteOffset, t.data.length);
      return dequantizeInt8(q, floatsOf(scales.data, "F32"), t.shape);
    }
    if (!isFloatDtype(t.dtype)) throw new Error(`${name} is not a float tensor`);
    return floatsOf(t.data, t.dtype);
  };
  return {
    ids: tokenIds(ids.data, ids.dtype),
    cache: {
      tokens: ids.shape[1]!,
      layers: Array.from({ length: layers }, (_, l) => ({
        key: floats(`past_key_values.${l}.key`),
        value: floats(`past_key_values.${l}.value`),
      })),
    },
  };
}

/** The pack's modules with their A and B as float32, checked against the config. */
export async function loraModulesOf(
  ctx: AppContext,
  digest: string,
  config: LoraConfig,
): Promise<LoraModule[]> {
  const tensors = await floatTensors(ctx, digest);
  const infos = [...tensors.values()].map(({ data: _, ...info }) => info);
  return checkLoraTensors(config, infos).map((m) => {
    const floats = (name: string) => {
      const t = tensors.get(name)!;
      if (!isFloatDtype(t.dtype)) throw new Error(`${name} is not a float tensor`);
      return floatsOf(t.data, t.dtype);
    };
    return {
      module: m.path,
      rank: m.rank,
      inFeatures: m.in,
      outFeatures: m.out,
      scaling: m.scaling,
      a: floats(m.a),
      b: floats(m.b),
    };
  });
}

async function exportOf(ctx: AppContext, model: BaseModelRow): Promise<Uint8Array> {
  return readBlob(ctx, model.onnxDigest!);
}

/**
 * Runs the snapshot on the model, which must reproduce its prompt; then each variant (its int8 form),
 * whose result is reported (does it hold within the tolerance too?) but rejects nothing.
 */
export async function runKvOnModel(
  ctx: AppContext,
  model: BaseModelRow,
  snapshotDigest: string,
  provider: ExecutionProvider,
  variants: Record<string, string> = {},
) {
  const decoder = await DecoderModel.load(await exportOf(ctx, model), decoderShape(model), provider);
  const layers = model.architecture.layers;
  try {
    const report = await runKvValidation(decoder, await kvCacheOf(ctx, snapshotDigest, layers));
    if (!report.passed) {
      throw new AppError(
        "kv_run_mismatch",
        `injecting the snapshot into ${model.name} does not reproduce its prompt: the logits differ by ${report.logits.relative} and the cache by ${report.cache.relative} of their magnitude (tolerance ${report.tolerance}); was it made with another model, dtype or prompt?`,
        { run: report },
      );
    }
    const variantRuns: Record<string, Pick<KvRunReport, "passed" | "logits" | "cache">> = {};
    for (const [name, digest] of Object.entries(variants)) {
      const run = await runKvValidation(decoder, await kvCacheOf(ctx, digest, layers), { repeats: 1 });
      variantRuns[name] = { passed: run.passed, logits: run.logits, cache: run.cache };
    }
    return { ...report, variants: variantRuns };
  } finally {
    await decoder.close();
  }
}

export async function runLoraOnModel(
  ctx: AppContext,
  model: BaseModelRow,
  weightsDigest: string,
  config: LoraConfig,
  provider: ExecutionProvider,
) {
  const modules = await loraModulesOf(ctx, weightsDigest, config);
  const report = await runLoraValidation(await exportOf(ctx, model), decoderShape(model), modules, {
    provider,
  });
  if (!report.finite) {
    throw new AppError("tensor_not_finite", `merging the pack into ${model.name} gives non-finite logits`, {
      run: report,
    });
  }
  const idle = report.modules.filter((m) => m.relative_change < MIN_MODULE_CHANGE);
  if (idle.length > 0) {
    throw new AppError(
      "lora_no_effect",
      `${idle.length} of ${report.modules.length} adapted modules change nothing on ${model.name} (first: '${idle[0]!.module}'; is lora_B still zero, as initialised before training?)`,
      { module: idle[0]!.module, run: report },
    );
  }
  return report;
}

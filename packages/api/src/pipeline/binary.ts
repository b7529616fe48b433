import { Readable } from "node:stream";
import { AppError } from "@memstore/core";
import { cubeVersions } from "@memstore/db";
import {
  ByteReader,
  checkKvAgainstModel,
  checkKvMetadata,
  checkLoraTensors,
  convertSafetensors,
  type FloatDtype,
  INT8_QUANTIZATION,
  int8Snapshot,
  isFloatDtype,
  kvLayout,
  LORA_CONFIG_FILE,
  LORA_WEIGHTS_FILE,
  type LoraConfig,
  openSafetensors,
  PICKLE_SNIFF_BYTES,
  parseLoraConfig,
  readHeader,
  refusePickle,
  type SafetensorsHeader,
  tensorStats,
  type TensorStats,
  tokenIds,
  unpackLoraPack,
  writeSafetensors,
  writeTar,
} from "@memstore/formats";
import type { ExecutionProvider } from "@memstore/inference";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.ts";
import { requireBaseModel } from "../models/base-models.ts";
import { runKvOnModel, runLoraOnModel } from "./model-runs.ts";
import { withPayloadCounts } from "./ingest-version.ts";
import {
  type ArtifactRef,
  blobRange,
  findArtifact,
  putStream,
  readBlobRange,
  saveArtifact,
} from "./artifacts.ts";
import type { StageOutcome } from "./runs.ts";
import { InputRejected } from "./source-lines.ts";

/**
 * The pipeline of binary cubes. `ingest` checks the upload's format (a KV snapshot's layout, metadata
 * and prefix hashes; a LoRA pack's tar, config and tensor names) and takes a pack's weights out of
 * its tar; `convert` writes the canonical file (sorted, aligned safetensors; a pack as a tar of its
 * config and canonical weights) and the dtype variants; `validate` checks the result against the
 * registered base model and the numbers inside every tensor. Files stream through: memory holds a
 * chunk, never a tensor of a payload.
 */
type VersionRow = typeof cubeVersions.$inferSelect;

export const SAFETENSORS_TYPE = "application/vnd.safetensors";
export const TAR_TYPE = "application/x-tar";

/** The most entries a pack's tar may have (a PEFT directory holds a handful of files). */
const MAX_TAR_ENTRIES = 64;

/** Bad input (a 415 or 422 from the format readers) rejects the version; anything else is retried. */
async function rejectingBadInput<T>(
  work: () => Promise<T>,
  report: Record<string, unknown> = {},
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && (error.status === 415 || error.status === 422)) {
      throw new InputRejected({ code: error.code, message: error.message, ...error.extra }, report);
    }
    throw error;
  }
}

const typeOf = (version: VersionRow) => version.manifest.type as "activation" | "parametric";

async function sizeOf(ctx: AppContext, digest: string) {
  const info = await ctx.blobs.stat(digest);
  if (!info) throw new Error(`blob ${digest} is missing from storage`);
  return info.size;
}

export async function headerOfBlob(ctx: AppContext, digest: string): Promise<SafetensorsHeader> {
  const reader = new ByteReader(await ctx.blobs.get(digest));
  try {
    return await readHeader(reader, await sizeOf(ctx, digest));
  } finally {
    await reader.close();
  }
}

export async function readBlob(ctx: AppContext, digest: string) {
  return readBlobRange(ctx, digest, 0, await sizeOf(ctx, digest));
}

export async function ingestBinary(ctx: AppContext, version: VersionRow): Promise<StageOutcome> {
  const digest = version.digest!;
  const size = version.size!;
  return rejectingBadInput(async () => {
    refusePickle(null, await readBlobRange(ctx, digest, 0, Math.min(size, PICKLE_SNIFF_BYTES)));
    return typeOf(version) === "activation" ? ingestSnapshot(ctx, version) : ingestPack(ctx, version);
  });
}

async function ingestSnapshot(ctx: AppContext, version: VersionRow): Promise<StageOutcome> {
  const { header, tensors } = await openSafetensors(await ctx.blobs.get(version.digest!), version.size!);
  const layout = kvLayout(header);
  let ids: number[] = [];
  for await (const t of tensors()) {
    if (t.name !== "input_ids") continue;
    const parts: Uint8Array[] = [];
    for await (const c of t.chunks) parts.push(c);
    ids = tokenIds(Buffer.concat(parts), layout.inputIds.dtype as "I64" | "I32");
  }
  const metadata = checkKvMetadata(header.metadata, layout, ids);
  const payload = {
    base_model: metadata.base_model,
    tokenizer_sha256: metadata.tokenizer_sha256,
    dtype: layout.dtype.toLowerCase(),
    tokens: layout.tokens,
    layers: layout.layers,
    kv_heads: layout.kvHeads,
    head_dim: layout.headDim,
    prefix_hashes: JSON.parse(metadata.prefix_hashes) as string[],
  };
  await setPayload(ctx, version, payload);
  const { prefix_hashes: hashes, ...summary } = payload;
  return {
    report: { format: "kv-snapshot", layout: layout.variant, ...summary, prefix_hashes: hashes.length },
    next: "convert",
  };
}

async function ingestPack(ctx: AppContext, version: VersionRow): Promise<StageOutcome> {
  const limits = { maxEntries: MAX_TAR_ENTRIES, maxBytes: ctx.config.MAX_PAYLOAD_BYTES };
  const pack = await unpackLoraPack(await ctx.blobs.get(version.digest!), limits, (chunks, size) =>
    ctx.blobs.put(Readable.from(chunks), { maxBytes: size }),
  );
  const header = await headerOfBlob(ctx, pack.weights.digest);
  const modules = checkLoraTensors(pack.config, header.tensors);
  const config = Buffer.from(JSON.stringify(pack.config));
  const storedConfig = await ctx.blobs.put(Readable.from([config]), { maxBytes: config.length });
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "source-weights",
    ...pack.weights,
    contentType: SAFETENSORS_TYPE,
  });
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "adapter-config",
    ...storedConfig,
    contentType: "application/json",
  });
  const dtypes = [...new Set(header.tensors.map((t) => t.dtype))];
  const payload = {
    base_model: pack.config.base_model_name_or_path,
    rank: pack.config.r,
    alpha: pack.config.lora_alpha,
    use_rslora: pack.config.use_rslora,
    target_modules: pack.config.target_modules,
    modules: modules.length,
    dtype: dtypes.join(",").toLowerCase(),
  };
  await setPayload(ctx, version, payload);
  return {
    report: { format: "peft-lora", ...payload, ignored_files: pack.ignored },
    next: "convert",
  };
}

async function setPayload(ctx: AppContext, version: VersionRow, fields: Record<string, unknown>) {
  await ctx.db
    .update(cubeVersions)
    .set({ manifest: withPayloadCounts(version.manifest, fields) })
    .where(eq(cubeVersions.id, version.id));
  version.manifest = withPayloadCounts(version.manifest, fields);
}

/** The dtypes a pack is offered in besides its own. */
const PACK_VARIANTS: FloatDtype[] = ["F16", "BF16"];

export async function convertBinary(ctx: AppContext, version: VersionRow): Promise<StageOutcome> {
  return typeOf(version) === "activation" ? convertSnapshot(ctx, version) : convertPack(ctx, version);
}

/** A snapshot in canonical form: its tensors (whatever their layout) copied from byte ranges of the upload. */
async function convertSnapshot(ctx: AppContext, version: VersionRow): Promise<StageOutcome> {
  const digest = version.digest!;
  const header = await headerOfBlob(ctx, digest);
  const layout = kvLayout(header);
  const tensors = layout.parts.map((p) => ({
    name: p.name,
    dtype: p.dtype,
    shape: p.shape,
    data: blobRange(ctx, digest, header.dataStart + p.begin, header.dataStart + p.end),
  }));
  const canonical = await putStream(ctx, writeSafetensors(tensors, header.metadata));
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "canonical",
    ...canonical,
    contentType: SAFETENSORS_TYPE,
  });
  const canonicalHeader = await headerOfBlob(ctx, canonical.digest);
  const int8 = int8Snapshot(canonicalHeader, (t) =>
    blobRange(ctx, canonical.digest, canonicalHeader.dataStart + t.begin, canonicalHeader.dataStart + t.end),
  );
  const quantized = await putStream(ctx, int8.stream);
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "int8",
    ...quantized,
    contentType: SAFETENSORS_TYPE,
  });
  return {
    report: {
      canonical,
      normalised_from: layout.variant,
      unchanged: canonical.digest === digest,
      variants: { int8: { ...quantized, quantization: INT8_QUANTIZATION, reconstruction: int8.error() } },
    },
    next: "validate",
  };
}

/** Config and weights of a pack as a tar, the weights read from a blob. */
async function packTar(ctx: AppContext, config: Buffer, weights: ArtifactRef) {
  return putStream(
    ctx,
    writeTar([
      { path: LORA_CONFIG_FILE, size: config.length, data: config },
      { path: LORA_WEIGHTS_FILE, size: weights.size, data: blobRange(ctx, weights.digest, 0, weights.size) },
    ]),
  );
}

/** The `adapter_config.json` a pack's ingest stored. */
export async function adapterConfigOf(ctx: AppContext, versionId: string): Promise<LoraConfig> {
  const artifact = await findArtifact(ctx.db, versionId, "adapter-config");
  if (!artifact) throw new Error(`version ${versionId} has no stored adapter config`);
  return parseLoraConfig(await readBlob(ctx, artifact.digest));
}

async function convertPack(ctx: AppContext, version: VersionRow): Promise<StageOutcome> {
  const source = await findArtifact(ctx.db, version.id, "source-weights");
  if (!source) throw new Error(`version ${version.id} has no unpacked weights`);
  const config = Buffer.from(JSON.stringify(await adapterConfigOf(ctx, version.id), null, 2) + "\n");
  const header = await headerOfBlob(ctx, source.digest);
  const canonicalWeights = await putStream(
    ctx,
    writeSafetensors(
      header.tensors.map((t) => ({
        ...t,
        data: blobRange(ctx, source.digest, header.dataStart + t.begin, header.dataStart + t.end),
      })),
      header.metadata,
    ),
  );
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "weights",
    ...canonicalWeights,
    contentType: SAFETENSORS_TYPE,
  });
  const canonical = await packTar(ctx, config, canonicalWeights);
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "canonical",
    ...canonical,
    contentType: TAR_TYPE,
  });
  const variants: Record<string, ArtifactRef> = {};
  const own = new Set(header.tensors.map((t) => t.dtype));
  for (const dtype of PACK_VARIANTS) {
    if (own.size === 1 && own.has(dtype)) continue;
    const weights = await putStream(
      ctx,
      convertSafetensors(await ctx.blobs.get(canonicalWeights.digest), canonicalWeights.size, dtype),
    );
    const role = dtype.toLowerCase();
    await saveArtifact(ctx.db, {
      versionId: version.id,
      role: `weights-${role}`,
      ...weights,
      contentType: SAFETENSORS_TYPE,
    });
    variants[role] = await packTar(ctx, config, weights);
    await saveArtifact(ctx.db, { versionId: version.id, role, ...variants[role]!, contentType: TAR_TYPE });
  }
  return { report: { canonical, variants }, next: "validate" };
}

/** Statistics of every float tensor of a safetensors blob, NaN or Inf rejecting it. */
async function numericSanity(ctx: AppContext, digest: string) {
  const { tensors } = await openSafetensors(await ctx.blobs.get(digest), await sizeOf(ctx, digest));
  const stats: Record<string, TensorStats> = {};
  for await (const t of tensors()) {
    if (!isFloatDtype(t.dtype)) continue;
    const s = await tensorStats(t.chunks, t.dtype);
    if (s.nan || s.inf) {
      throw new AppError(
        "tensor_not_finite",
        `tensor '${t.name}' holds ${s.nan} NaN and ${s.inf} infinite values of ${s.elements}`,
        { tensor: t.name },
      );
    }
    stats[t.name] = s;
  }
  const values = Object.values(stats);
  const rms = values.map((s) => s.rms).sort((a, b) => a - b);
  const median = rms[Math.floor(rms.length / 2)] ?? 0;
  return {
    tensors: values.length,
    elements: values.reduce((a, s) => a + s.elements, 0),
    max_abs: Math.max(0, ...values.map((s) => s.max_abs)),
    rms_median: median,
    rms_max: rms.at(-1) ?? 0,
    outlier_values: values.reduce((a, s) => a + s.outliers, 0),
    // A tensor whose norm is far off its siblings' is a sign of a broken or tampered file.
    norm_outliers: Object.entries(stats)
      .filter(([, s]) => median > 0 && (s.rms > 100 * median || s.rms < median / 100))
      .map(([name]) => name),
  };
}

export async function validateBinary(
  ctx: AppContext,
  version: VersionRow,
  provider: ExecutionProvider = "cpu",
): Promise<StageOutcome> {
  const payload = version.manifest.payload as Record<string, unknown>;
  const report: Record<string, unknown> = { base_model: payload.base_model };
  return rejectingBadInput(async () => {
    const model = await requireBaseModel(ctx.db, String(payload.base_model));
    if (typeOf(version) === "activation") {
      const canonical = await findArtifact(ctx.db, version.id, "canonical");
      const header = await headerOfBlob(ctx, canonical!.digest);
      const layout = kvLayout(header);
      checkKvAgainstModel(layout, header.metadata as never, model);
      report.static = {
        layers: layout.layers,
        kv_heads: layout.kvHeads,
        head_dim: layout.headDim,
        result: "passed",
      };
      report.numeric = await numericSanity(ctx, canonical!.digest);
      if (model.row.onnxDigest) {
        const int8 = await findArtifact(ctx.db, version.id, "int8");
        const variants: Record<string, string> = int8 ? { int8: int8.digest } : {};
        report.run = await runKvOnModel(ctx, model.row, canonical!.digest, provider, variants);
      }
    } else {
      const weights = await findArtifact(ctx.db, version.id, "weights");
      const config = await adapterConfigOf(ctx, version.id);
      const header = await headerOfBlob(ctx, weights!.digest);
      const modules = checkLoraTensors(config, header.tensors, model.architecture);
      report.static = {
        modules: modules.length,
        layers: new Set(modules.map((m) => m.path.split(".")[2])).size,
        scaling: [...new Set(modules.map((m) => m.scaling))],
        result: "passed",
      };
      report.numeric = await numericSanity(ctx, weights!.digest);
      if (model.row.onnxDigest) {
        report.run = await runLoraOnModel(ctx, model.row, weights!.digest, config, provider);
      }
    }
    report.run ??= {
      skipped: `the registry holds no ONNX export of ${model.name}: static and numeric checks only`,
    };
    return { report, next: "sign" };
  }, report);
}

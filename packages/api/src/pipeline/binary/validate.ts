import { AppError, baseModelOf, withPayload } from "@memstore/core";
import { cubeVersions, type VersionRow } from "@memstore/db";
import { eq } from "drizzle-orm";
import {
  checkKvAgainstModel,
  checkLoraTensors,
  isFloatDtype,
  kvLayout,
  openSafetensors,
  tensorStats,
  type TensorStats,
} from "@memstore/formats";
import type { ExecutionProvider } from "@memstore/inference";
import { adapterConfigOf, findArtifact, requireArtifact } from "../../kernel/artifacts.ts";
import { headerOfBlob, sizeOf } from "../../kernel/blobs.ts";
import type { AppContext } from "../../kernel/context.ts";
import { modelRecord, requireBaseModel } from "../../models/model-lookup.ts";
import { runKvOnModel, runLoraOnModel } from "../../models/model-runs.ts";
import { rejectingBadInput } from "../input-rejected.ts";
import type { Report } from "../stage-runner.ts";

/**
 * The `validate` stage of binary cubes: the converted file against the registered base model (its
 * dimensions, and for a snapshot its tokenizer), the numbers inside every tensor, and — when the
 * registry holds the model's ONNX export — a run on the model (see models/model-runs.ts).
 */

type BaseModel = Awaited<ReturnType<typeof requireBaseModel>>;

/**
 * What both validations share: the registered model the version names, bad input (a misfit, a NaN)
 * rejecting the version with the report so far, and a run said to be skipped without an export.
 */
function validatingOn(
  ctx: AppContext,
  version: VersionRow,
  check: (model: BaseModel, report: Report) => Promise<void>,
): Promise<Report> {
  const report: Report = { base_model: baseModelOf(version.manifest) };
  return rejectingBadInput(async () => {
    // The publisher's own registration of the name, else the platform's: never another organisation's.
    const model = await requireBaseModel(ctx.db, baseModelOf(version.manifest), version.orgId);
    Object.assign(report, modelRecord(model.row));
    await check(model, report);
    report.run ??= {
      skipped: `the registry holds no ONNX export of ${model.name}: static and numeric checks only`,
    };
    // The version records which registration it was checked against, signed with its manifest.
    await ctx.db
      .update(cubeVersions)
      .set({ manifest: withPayload(version.manifest, modelRecord(model.row)) })
      .where(eq(cubeVersions.id, version.id));
    return report;
  }, report);
}

export function validateSnapshot(ctx: AppContext, version: VersionRow, provider: ExecutionProvider) {
  return validatingOn(ctx, version, async (model, report) => {
    const canonical = await requireArtifact(ctx.db, version.id, "canonical");
    const layout = kvLayout(await headerOfBlob(ctx, canonical.digest));
    checkKvAgainstModel(layout, recordedModel(version), model);
    report.static = {
      layers: layout.layers,
      kv_heads: layout.kvHeads,
      head_dim: layout.headDim,
      result: "passed",
    };
    report.numeric = await numericSanity(ctx, canonical.digest);
    if (model.row.onnxDigest) {
      const int8 = await findArtifact(ctx.db, version.id, "int8");
      const variants: Record<string, string> = int8 ? { int8: int8.digest } : {};
      report.run = await runKvOnModel(ctx, model.row, canonical.digest, provider, variants);
    }
  });
}

/** The model and tokenizer a snapshot's checked metadata names, as its ingest recorded them. */
function recordedModel(version: VersionRow) {
  const payload = version.manifest.payload;
  if (!payload?.base_model || !payload.tokenizer_sha256) {
    throw new Error(`version ${version.id} records no base model or tokenizer`);
  }
  return { base_model: payload.base_model, tokenizer_sha256: payload.tokenizer_sha256 };
}

export function validatePack(ctx: AppContext, version: VersionRow, provider: ExecutionProvider) {
  return validatingOn(ctx, version, async (model, report) => {
    const weights = await requireArtifact(ctx.db, version.id, "weights");
    const config = await adapterConfigOf(ctx, version.id);
    const header = await headerOfBlob(ctx, weights.digest);
    const modules = checkLoraTensors(config, header.tensors, model.architecture);
    report.static = {
      modules: modules.length,
      layers: new Set(modules.map((m) => m.path.split(".")[2])).size,
      scaling: [...new Set(modules.map((m) => m.scaling))],
      result: "passed",
    };
    report.numeric = await numericSanity(ctx, weights.digest);
    if (model.row.onnxDigest) {
      report.run = await runLoraOnModel(ctx, model.row, weights.digest, config, provider);
    }
  });
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

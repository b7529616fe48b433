import { SAFETENSORS, TAR } from "@memstore/core";
import type { VersionRow } from "@memstore/db";
import {
  convertSafetensors,
  type FloatDtype,
  INT8_QUANTIZATION,
  int8Snapshot,
  kvLayout,
  LORA_CONFIG_FILE,
  LORA_WEIGHTS_FILE,
  writeSafetensors,
  writeTar,
} from "@memstore/formats";
import { adapterConfigOf, requireArtifact, saveArtifact } from "../../kernel/artifacts.ts";
import { type BlobRef, blobRange, headerOfBlob, putStream, tensorRange } from "../../kernel/blobs.ts";
import type { AppContext } from "../../kernel/context.ts";
import type { Report } from "../stage-runner.ts";

/**
 * The `convert` stage of binary cubes: the canonical file (sorted, aligned safetensors; a pack as a
 * tar of its config and canonical weights) and the dtype variants an organisation may download its
 * copy in. Tensors are copied from byte ranges of the upload, chunk by chunk.
 */

/** A snapshot in canonical form, whatever its layout, and its int8 variant (per-channel scales). */
export async function convertSnapshot(ctx: AppContext, version: VersionRow): Promise<Report> {
  const source = uploadOf(version);
  const header = await headerOfBlob(ctx, source);
  const layout = kvLayout(header);
  const tensors = layout.parts.map((p) => ({
    name: p.name,
    dtype: p.dtype,
    shape: p.shape,
    data: tensorRange(ctx, source, header, p),
  }));
  const canonical = await putStream(ctx, writeSafetensors(tensors, header.metadata));
  await saveArtifact(ctx.db, {
    versionId: version.id,
    role: "canonical",
    ...canonical,
    contentType: SAFETENSORS,
  });
  const canonicalHeader = await headerOfBlob(ctx, canonical.digest);
  const int8 = int8Snapshot(canonicalHeader, (t) => tensorRange(ctx, canonical.digest, canonicalHeader, t));
  const quantized = await putStream(ctx, int8.stream);
  await saveArtifact(ctx.db, { versionId: version.id, role: "int8", ...quantized, contentType: SAFETENSORS });
  return {
    canonical,
    normalised_from: layout.variant,
    unchanged: canonical.digest === source,
    variants: { int8: { ...quantized, quantization: INT8_QUANTIZATION, reconstruction: int8.error() } },
  };
}

function uploadOf(version: VersionRow) {
  if (!version.digest) throw new Error(`version ${version.id} has no payload`);
  return version.digest;
}

/** The dtypes a pack is offered in besides its own, and the artifacts each is stored as. */
const PACK_VARIANTS = [
  { dtype: "F16", weights: "weights-f16", pack: "f16" },
  { dtype: "BF16", weights: "weights-bf16", pack: "bf16" },
] as const satisfies readonly { dtype: FloatDtype; weights: string; pack: string }[];

/** Config and weights of a pack as a tar, the weights read from a blob. */
export async function packTar(ctx: AppContext, config: Buffer, weights: BlobRef) {
  return putStream(
    ctx,
    writeTar([
      { path: LORA_CONFIG_FILE, size: config.length, data: config },
      { path: LORA_WEIGHTS_FILE, size: weights.size, data: blobRange(ctx, weights.digest, 0, weights.size) },
    ]),
  );
}

/** A pack's canonical weights and tar, and a tar in each other dtype. */
export async function convertPack(ctx: AppContext, version: VersionRow): Promise<Report> {
  const source = await requireArtifact(ctx.db, version.id, "source-weights");
  const config = Buffer.from(JSON.stringify(await adapterConfigOf(ctx, version.id), null, 2) + "\n");
  const header = await headerOfBlob(ctx, source.digest);
  const canonicalWeights = await putStream(
    ctx,
    writeSafetensors(
      header.tensors.map((t) => ({ ...t, data: tensorRange(ctx, source.digest, header, t) })),
      header.metadata,
    ),
  );
  const versionId = version.id;
  await saveArtifact(ctx.db, { versionId, role: "weights", ...canonicalWeights, contentType: SAFETENSORS });
  const canonical = await packTar(ctx, config, canonicalWeights);
  await saveArtifact(ctx.db, { versionId, role: "canonical", ...canonical, contentType: TAR });
  const variants: Record<string, BlobRef> = {};
  const own = new Set(header.tensors.map((t) => t.dtype));
  for (const variant of PACK_VARIANTS) {
    if (own.size === 1 && own.has(variant.dtype)) continue;
    const weights = await putStream(
      ctx,
      convertSafetensors(await ctx.blobs.get(canonicalWeights.digest), canonicalWeights.size, variant.dtype),
    );
    await saveArtifact(ctx.db, { versionId, role: variant.weights, ...weights, contentType: SAFETENSORS });
    const tar = await packTar(ctx, config, weights);
    variants[variant.pack] = tar;
    await saveArtifact(ctx.db, { versionId, role: variant.pack, ...tar, contentType: TAR });
  }
  return { canonical, variants };
}

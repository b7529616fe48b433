import { copyRole, type CopyVariant, SAFETENSORS, TAR } from "@memstore/core";
import type { Executor, VersionRow } from "@memstore/db";
import {
  bytesOfFloats,
  DTYPE_SIZES,
  type FloatDtype,
  floatDtypeOf,
  floatsOf,
  int8Snapshot,
  isFloatDtype,
  kvLayout,
  LORA_CONFIG_FILE,
  LORA_WEIGHTS_FILE,
  rankAndScaling,
  type SafetensorsHeader,
  type TensorSource,
  wholeElements,
  writeSafetensors,
  writeTar,
} from "@memstore/formats";
import { canonicalJson, signManifest } from "@memstore/watermark/signing";
import {
  addPattern,
  binaryFingerprintKey,
  orthogonalMatrix,
  rmsOf,
  rotateA,
  rotateB,
} from "@memstore/watermark";
import { cubeById, versionById } from "../catalog/queries.ts";
import { organizationById } from "../identity/queries.ts";
import type { AppContext } from "../kernel/context.ts";
import { adapterConfigOf, findArtifact, requireArtifact, saveArtifact } from "../kernel/artifacts.ts";
import { blobRange, headerOfBlob, putStream, readBlobRange, tensorRange } from "../kernel/blobs.ts";

/**
 * Each subscribing organisation's own copy of a binary cube, written once and content-addressed:
 * a LoRA pack rotated by the organisation's orthogonal matrices with a keyed pattern on its B
 * matrices, a KV snapshot with a keyed pattern on its keys and values, and in both a license record
 * in `__metadata__` signed by the platform. Regenerating a copy gives the same bytes.
 */

/** Pattern amplitudes, relative to each tensor's RMS. */
export const LORA_PATTERN_STRENGTH = 0.01;
export const KV_PATTERN_STRENGTH = 0.002;

/** The license record a copy carries, and its signature. */
async function licenseMetadata(ctx: AppContext, db: Executor, version: VersionRow, orgId: string) {
  const cube = await cubeById(db, { cubeId: version.cubeId });
  const org = await organizationById(db, { orgId });
  const license = {
    licensee: { org_id: orgId, name: org!.name },
    cube: { id: cube!.id, slug: cube!.slug, version: version.version, digest: version.digest },
    publisher: String(version.manifest.publisher),
    fingerprint: cube!.type === "parametric" ? "rotation+spread-spectrum" : "spread-spectrum",
  };
  return {
    "memstore.license": canonicalJson(license),
    "memstore.license_signature": signManifest(license, ctx.keys.signingKey),
  };
}

/**
 * The organisation's copy of a ready binary version, in its own dtype or as one of the
 * `COPY_VARIANTS`: the stored one, or written now. A variant is made from the organisation's own
 * copy (marked in f32, then rounded or quantised), so it carries the same fingerprint.
 */
export async function fingerprintedCopy(
  ctx: AppContext,
  version: VersionRow,
  orgId: string,
  variant?: CopyVariant,
) {
  const role = copyRole(variant);
  const existing = await findArtifact(ctx.db, version.id, role, orgId);
  if (existing) return existing;
  const stored = await writeCopy(ctx, version, orgId, variant);
  const contentType = version.manifest.type === "activation" ? SAFETENSORS : TAR;
  await saveArtifact(ctx.db, { versionId: version.id, role, forOrgId: orgId, ...stored, contentType });
  ctx.log(`fingerprinted ${variant ?? "copy"} of ${version.id} for ${orgId}: ${stored.digest}`);
  return (await findArtifact(ctx.db, version.id, role, orgId))!;
}

/**
 * The `fingerprint` job's work: the organisation's copy of a binary version, written as soon as it
 * installs it; nothing for a version not ready (yet, or any more) or a plaintext one.
 */
export async function fingerprintOnInstall(ctx: AppContext, versionId: string, orgId: string) {
  const version = await versionById(ctx.db, { versionId });
  if (version?.status !== "ready" || version.manifest.type === "plaintext") return null;
  return fingerprintedCopy(ctx, version, orgId);
}

async function writeCopy(ctx: AppContext, version: VersionRow, orgId: string, variant?: CopyVariant) {
  if (version.manifest.type === "activation" && variant === "int8") {
    // The int8 form of the organisation's marked snapshot: the same quantisation `convert` applies.
    const copy = await fingerprintedCopy(ctx, version, orgId);
    const header = await headerOfBlob(ctx, copy.digest);
    return putStream(ctx, int8Snapshot(header, (t) => tensorRange(ctx, copy.digest, header, t)).stream);
  }
  const key = binaryFingerprintKey(ctx.keys.secret, orgId, version.cubeId);
  const license = await licenseMetadata(ctx, ctx.db, version, orgId);
  if (version.manifest.type === "activation") return markedSnapshot(ctx, version, key, license);
  const dtype = variant === "f16" ? "F16" : variant === "bf16" ? "BF16" : undefined;
  return markedPack(ctx, version, key, license, dtype);
}

type Tensor = SafetensorsHeader["tensors"][number];

/** A float tensor of a blob as blocks of f32 values, read chunk by chunk. */
async function* floatBlocks(ctx: AppContext, digest: string, header: SafetensorsHeader, t: Tensor) {
  const range = tensorRange(ctx, digest, header, t);
  for await (const block of wholeElements(range, DTYPE_SIZES[t.dtype]))
    yield floatsOf(block, floatDtypeOf(t));
}

/** The tensor's bytes with `mark` applied to its values chunk by chunk (`start`: element offset). */
async function* markedTensor(
  ctx: AppContext,
  digest: string,
  header: SafetensorsHeader,
  t: Tensor,
  mark: (values: Float32Array, start: number) => void,
) {
  let start = 0;
  for await (const values of floatBlocks(ctx, digest, header, t)) {
    mark(values, start);
    start += values.length;
    yield bytesOfFloats(values, floatDtypeOf(t));
  }
}

async function tensorRms(ctx: AppContext, digest: string, header: SafetensorsHeader, t: Tensor) {
  let squares = 0;
  let count = 0;
  for await (const values of floatBlocks(ctx, digest, header, t)) {
    for (let i = 0; i < values.length; i++) squares += values[i]! * values[i]!;
    count += values.length;
  }
  return count ? Math.sqrt(squares / count) : 0;
}

async function markedSnapshot(
  ctx: AppContext,
  version: VersionRow,
  key: Buffer,
  license: Record<string, string>,
) {
  const canonical = await requireArtifact(ctx.db, version.id, "canonical");
  const header = await headerOfBlob(ctx, canonical.digest);
  kvLayout(header);
  const tensors: TensorSource[] = header.tensors.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    data: isFloatDtype(t.dtype)
      ? (async function* () {
          // Two passes over each tensor (its RMS, then the marked values): memory holds a chunk.
          const amplitude = KV_PATTERN_STRENGTH * (await tensorRms(ctx, canonical.digest, header, t));
          yield* markedTensor(ctx, canonical.digest, header, t, (values, start) =>
            addPattern(values, key, t.name, start, amplitude),
          );
        })()
      : tensorRange(ctx, canonical.digest, header, t),
  }));
  return putStream(ctx, writeSafetensors(tensors, { ...header.metadata, ...license }));
}

/** The organisation's pack: each module rotated and marked in f32, written in `dtype` or its own. */
async function markedPack(
  ctx: AppContext,
  version: VersionRow,
  key: Buffer,
  license: Record<string, string>,
  dtype?: FloatDtype,
) {
  const weights = await requireArtifact(ctx.db, version.id, "weights");
  const config = await adapterConfigOf(ctx, version.id);
  const header = await headerOfBlob(ctx, weights.digest);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const read = async (name: string) => {
    const t = byName.get(name)!;
    const bytes = await readBlobRange(
      ctx,
      weights.digest,
      header.dataStart + t.begin,
      header.dataStart + t.end,
    );
    return floatsOf(bytes, floatDtypeOf(t));
  };
  // One module at a time: its A and B are read, rotated and marked together (a module is small).
  const modules = new Map<string, Promise<{ a: Float32Array; b: Float32Array }>>();
  const moduleOf = (path: string) => {
    if (!modules.has(path)) {
      modules.set(
        path,
        (async () => {
          const { rank } = rankAndScaling(config, path);
          const q = orthogonalMatrix(key, path, rank);
          const a = rotateA(q, await read(`base_model.model.${path}.lora_A.weight`), rank);
          const b = rotateB(q, await read(`base_model.model.${path}.lora_B.weight`), rank);
          addPattern(b, key, `base_model.model.${path}.lora_B.weight`, 0, LORA_PATTERN_STRENGTH * rmsOf(b));
          return { a, b };
        })(),
      );
    }
    return modules.get(path)!;
  };
  const tensors: TensorSource[] = header.tensors.map((t) => {
    const [, path, side] = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(t.name)!;
    const out = dtype ?? floatDtypeOf(t);
    return {
      name: t.name,
      dtype: out,
      shape: t.shape,
      data: (async function* () {
        const pair = await moduleOf(path!);
        if (side === "B") modules.delete(path!);
        yield bytesOfFloats(side === "A" ? pair.a : pair.b, out);
      })(),
    };
  });
  const markedWeights = await putStream(ctx, writeSafetensors(tensors, { ...header.metadata, ...license }));
  const configBytes = Buffer.from(JSON.stringify(config, null, 2) + "\n");
  return putStream(
    ctx,
    writeTar([
      { path: LORA_CONFIG_FILE, size: configBytes.length, data: configBytes },
      {
        path: LORA_WEIGHTS_FILE,
        size: markedWeights.size,
        data: blobRange(ctx, markedWeights.digest, 0, markedWeights.size),
      },
    ]),
  );
}

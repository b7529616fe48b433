import { Readable } from "node:stream";
import { AppError, type Subject } from "@memstore/core";
import {
  dequantizeInt8,
  floatDtypeOf,
  floatsOf,
  INT8_SCALE_SUFFIX,
  isFloatDtype,
  rankAndScaling,
  type SafetensorsHeader,
  unpackLoraPack,
} from "@memstore/formats";
import { binaryFingerprintKey, orthogonalMatrix, PatternCorrelation, rotateB } from "@memstore/watermark";
import type { AppContext } from "../kernel/context.ts";
import { authorize, authorizedRows } from "../kernel/authorize.ts";
import { adapterConfigOf, findArtifact } from "../kernel/artifacts.ts";
import { deleteUnlessShared, headerOfBlob, readBlobRange } from "../kernel/blobs.ts";
import { binaryTraceCandidates, type TraceCandidate } from "./queries.ts";
import type { TraceMatch, TraceResult } from "./trace.ts";

/**
 * Which subscriber a leaked LoRA pack or KV snapshot came from. The file is compared with each of
 * the caller's binary versions it has the tensors of; for every organisation that installed one, the
 * difference between the leak and that organisation's unmarked copy is correlated with its keyed
 * pattern (see @memstore/watermark tensors.ts). The right organisation correlates near 1; any other
 * near 0, within ±1/√n for n values: a match needs z = correlation·√n of at least MIN_Z. A copy
 * rounded to f16/bf16 or quantised to int8 (with its per-channel scales) is compared as its values.
 */
export const MIN_Z = 8;

export async function traceBinary(
  ctx: AppContext,
  subject: Subject,
  body: Readable | AsyncIterable<Uint8Array>,
  kind: "safetensors" | "tar",
): Promise<TraceResult> {
  authorize(subject, "cube.trace");
  const upload = await ctx.blobs.put(body, { maxBytes: ctx.config.MAX_PAYLOAD_BYTES });
  let weights = upload.digest;
  try {
    if (kind === "tar") {
      const pack = await unpackLoraPack(
        await ctx.blobs.get(upload.digest),
        { maxEntries: 64, maxBytes: ctx.config.MAX_PAYLOAD_BYTES },
        (chunks, size) => ctx.blobs.put(Readable.from(chunks), { maxBytes: size }),
      );
      weights = pack.weights.digest;
    }
    const leak = await headerOfBlob(ctx, weights);
    const rows = await binaryTraceCandidates(ctx.db, { publisherOrgId: subject.orgId });
    // The copies of the caller's own cubes: whoever installed them is named, nobody else's cubes are.
    const candidates = authorizedRows(subject, "cube.trace", rows, (c) => ({ orgId: c.publisher_org_id }));
    const matches: TraceMatch[] = [];
    let compared = 0;
    for (const [versionId, orgs] of groupBy(candidates, (c) => c.version_id)) {
      const scores = await scoreVersion(ctx, versionId, orgs, weights, leak);
      if (!scores) continue;
      compared++;
      for (const { candidate, correlation, elements } of scores) {
        const z = correlation * Math.sqrt(elements);
        if (z < MIN_Z) continue;
        matches.push({
          org_id: candidate.org_id,
          install_id: candidate.install_id,
          cube_id: candidate.cube_id,
          version: candidate.version,
          // The chance that an unrelated copy correlates this well (a Gaussian tail bound).
          confidence: 1 - Math.min(1, Math.exp((-z * z) / 2)),
          evidence: [{ kind: "weights", correlation: round(correlation), elements }],
        });
      }
    }
    matches.sort((a, b) => b.confidence - a.confidence);
    return {
      matches,
      marked: matches.length > 0,
      marks: 0,
      detail:
        compared === 0
          ? "the file's tensors match none of your binary versions that anyone installed"
          : matches.length
            ? `the file carries the weight fingerprint of ${matches.length === 1 ? "one subscriber" : `${matches.length} subscribers`}`
            : `compared with ${compared} of your versions: no subscriber's fingerprint is in the file`,
    };
  } finally {
    await deleteUnlessShared(ctx, upload.digest);
    if (weights !== upload.digest) await deleteUnlessShared(ctx, weights);
  }
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

type Tensor = SafetensorsHeader["tensors"][number];

async function tensorValues(ctx: AppContext, digest: string, header: SafetensorsHeader, t: Tensor) {
  const bytes = await readBlobRange(ctx, digest, header.dataStart + t.begin, header.dataStart + t.end);
  return floatsOf(bytes, floatDtypeOf(t));
}

/** An int8 tensor's per-channel scales (the int8 form of a snapshot), if the file has them. */
function scalesOf(header: SafetensorsHeader, t: Tensor) {
  const scales = header.tensors.find((s) => s.name === t.name + INT8_SCALE_SUFFIX);
  return t.dtype === "I8" && scales?.dtype === "F32" && t.shape.length === 4 ? scales : undefined;
}

/** A leaked tensor's values: floats as they are, int8 multiplied back by its scales. */
async function leakedValues(ctx: AppContext, digest: string, header: SafetensorsHeader, t: Tensor) {
  const scales = scalesOf(header, t);
  if (!scales) return tensorValues(ctx, digest, header, t);
  const q = await readBlobRange(ctx, digest, header.dataStart + t.begin, header.dataStart + t.end);
  const s = await tensorValues(ctx, digest, header, scales);
  return dequantizeInt8(new Int8Array(q.buffer, q.byteOffset, q.length), s, t.shape);
}

/**
 * Each organisation's correlation for one version, or null when the leak does not have this
 * version's tensors (names and shapes). One tensor in memory at a time.
 */
async function scoreVersion(
  ctx: AppContext,
  versionId: string,
  orgs: TraceCandidate[],
  leakDigest: string,
  leak: SafetensorsHeader,
) {
  const parametric = (await findArtifact(ctx.db, versionId, "weights")) !== null;
  const original = await findArtifact(ctx.db, versionId, parametric ? "weights" : "canonical");
  if (!original) return null;
  const header = await headerOfBlob(ctx, original.digest);
  const leaked = new Map(leak.tensors.map((t) => [t.name, t]));
  const marked = header.tensors.filter(
    (t) => isFloatDtype(t.dtype) && (!parametric || t.name.endsWith(".lora_B.weight")),
  );
  const fits = (t: Tensor) => {
    const other = leaked.get(t.name);
    const values = other && (isFloatDtype(other.dtype) || scalesOf(leak, other));
    return values && JSON.stringify(other.shape) === JSON.stringify(t.shape);
  };
  if (marked.length === 0 || !marked.every(fits)) return null;
  const config = parametric ? await adapterConfigOf(ctx, versionId) : null;
  const keys = orgs.map((c) => binaryFingerprintKey(ctx.keys.secret, c.org_id, c.cube_id));
  const correlations = orgs.map(() => new PatternCorrelation());
  for (const t of marked) {
    const source = await tensorValues(ctx, original.digest, header, t);
    const copy = await leakedValues(ctx, leakDigest, leak, leaked.get(t.name)!);
    for (const [i, key] of keys.entries()) {
      // The organisation's unmarked copy: the original, rotated by its Q for a LoRA B.
      let unmarked = source;
      if (config) {
        const path = t.name.replace(/^base_model\.model\./, "").replace(/\.lora_B\.weight$/, "");
        const { rank } = rankAndScaling(config, path);
        unmarked = rotateB(orthogonalMatrix(key, path, rank), source, rank);
      }
      const residual = new Float32Array(copy.length);
      for (let j = 0; j < copy.length; j++) residual[j] = copy[j]! - unmarked[j]!;
      correlations[i]!.add(residual, key, t.name, 0);
    }
  }
  if (!parametric && correlations.every((c) => c.elements === 0)) {
    throw new AppError("invalid_input", "the snapshot holds no float tensors to compare");
  }
  return orgs.map((candidate, i) => ({
    candidate,
    correlation: correlations[i]!.value,
    elements: correlations[i]!.elements,
  }));
}

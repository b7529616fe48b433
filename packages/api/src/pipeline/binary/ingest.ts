import { Readable } from "node:stream";
import { type Payload, SAFETENSORS, withPayload } from "@memstore/core";
import { cubeVersions, type VersionRow } from "@memstore/db";
import {
  checkKvMetadata,
  checkLoraTensors,
  kvLayout,
  openSafetensors,
  PICKLE_SNIFF_BYTES,
  prefixHashes,
  refusePickle,
  tokenIds,
  unpackLoraPack,
} from "@memstore/formats";
import { BpeTokenizer } from "@memstore/inference";
import { eq } from "drizzle-orm";
import { modulePassageTexts, writeModulePassages } from "./module-passages.ts";
import { saveArtifact } from "../../kernel/artifacts.ts";
import { headerOfBlob, readBlob, readBlobRange } from "../../kernel/blobs.ts";
import type { AppContext } from "../../kernel/context.ts";
import { findBaseModel } from "../../models/model-lookup.ts";
import { rejectingBadInput } from "../input-rejected.ts";
import type { Report } from "../stage-runner.ts";

/**
 * The `ingest` stage of binary cubes: refuse a pickle, then check the upload's format — a KV
 * snapshot's layout, metadata and prefix hashes; a LoRA pack's tar, config and tensor names — and take
 * a pack's weights out of its tar. What it learns goes into the manifest's payload. Files stream
 * through: memory holds a chunk, never a tensor of a payload.
 */

/** The most entries a pack's tar may have (a PEFT directory holds a handful of files). */
const MAX_TAR_ENTRIES = 64;

/** The uploaded payload of a submitted version (submission refuses a version without one). */
function payloadOf(version: VersionRow) {
  if (!version.digest || version.size === null) throw new Error(`version ${version.id} has no payload`);
  return { digest: version.digest, size: version.size };
}

async function refusingPickle(ctx: AppContext, version: VersionRow) {
  const { digest, size } = payloadOf(version);
  refusePickle(null, await readBlobRange(ctx, digest, 0, Math.min(size, PICKLE_SNIFF_BYTES)));
  return { digest, size };
}

export async function ingestSnapshot(ctx: AppContext, version: VersionRow): Promise<Report> {
  return rejectingBadInput(async () => {
    const { digest, size } = await refusingPickle(ctx, version);
    const { header, tensors } = await openSafetensors(await ctx.blobs.get(digest), size);
    const layout = kvLayout(header);
    let ids: number[] = [];
    for await (const t of tensors()) {
      if (t.name !== "input_ids") continue;
      const parts: Uint8Array[] = [];
      for await (const c of t.chunks) parts.push(c);
      ids = tokenIds(Buffer.concat(parts), layout.inputIds.dtype);
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
      // As listed in the metadata, which was checked against input_ids.
      prefix_hashes: prefixHashes(ids),
    };
    await setPayload(ctx, version, payload);
    const prompt = await promptOf(ctx, version.orgId, metadata, ids);
    await describeModule(ctx, version, prompt);
    const { prefix_hashes: hashes, ...summary } = payload;
    return { format: "kv-snapshot", layout: layout.variant, ...summary, prefix_hashes: hashes.length };
  });
}

export async function ingestPack(ctx: AppContext, version: VersionRow): Promise<Report> {
  return rejectingBadInput(async () => {
    const { digest } = await refusingPickle(ctx, version);
    const limits = { maxEntries: MAX_TAR_ENTRIES, maxBytes: ctx.config.MAX_PAYLOAD_BYTES };
    const pack = await unpackLoraPack(await ctx.blobs.get(digest), limits, (chunks, size) =>
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
      contentType: SAFETENSORS,
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
    await describeModule(ctx, version, pack.readme);
    return { format: "peft-lora", ...payload, ignored_files: pack.ignored };
  });
}

/** The most of a snapshot's prompt kept as the text it was computed from. */
const MAX_PROMPT_CHARS = 64 << 10;

/**
 * The text a snapshot was computed from: its `input_ids` read back through its base model's
 * registered tokenizer (the one its metadata names by hash). Null where the model or its tokenizer is
 * not registered here, or is not one this server can read.
 */
async function promptOf(
  ctx: AppContext,
  orgId: string,
  metadata: { base_model: string; tokenizer_sha256: string },
  ids: readonly number[],
): Promise<string | null> {
  const model = await findBaseModel(ctx.db, metadata.base_model, orgId);
  const digest = model?.row.tokenizerDigest;
  if (!digest || model.row.tokenizerSha256 !== metadata.tokenizer_sha256) return null;
  try {
    const tokenizer = new BpeTokenizer(JSON.parse(Buffer.from(await readBlob(ctx, digest)).toString("utf8")));
    return tokenizer.decode(ids).slice(0, MAX_PROMPT_CHARS);
  } catch {
    return null;
  }
}

/** What a context's module routing compares queries with (context/module-passages.ts). */
async function describeModule(ctx: AppContext, version: VersionRow, documented: string | null) {
  await writeModulePassages(ctx, ctx.db, version.id, modulePassageTexts(version.manifest, documented));
}

async function setPayload(ctx: AppContext, version: VersionRow, fields: Partial<Payload>) {
  version.manifest = withPayload(version.manifest, fields);
  await ctx.db
    .update(cubeVersions)
    .set({ manifest: version.manifest })
    .where(eq(cubeVersions.id, version.id));
}

import { AppError, payloadFormatOf, SAFETENSORS, type Subject } from "@memstore/core";
import { cubeVersions, type VersionRow } from "@memstore/db";
import { inputIdsTensor, kvMetadata, type TensorSource, writeSafetensors } from "@memstore/formats";
import { BpeTokenizer, DecoderModel } from "@memstore/inference";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { versionTexts } from "../catalog/queries.ts";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { putStream, readBlob } from "../kernel/blobs.ts";
import { decoderShape, requireBaseModel } from "../models/model-lookup.ts";
import { InputRejected } from "../pipeline/input-rejected.ts";
import { runStage, type StageAttempt } from "../pipeline/stage-runner.ts";
import { assertSlugFree, derivedCubeFields, loadReadySource, queueDerived } from "./derived.ts";

/**
 * Plaintext → activation: runs a registered base model over the text of one of the organisation's
 * ready plaintext versions and publishes the resulting KV cache as a new activation cube. The
 * request checks what it can at once (the source, the slug, that the model can be run) and answers
 * 202 with the new version `processing`; the `derive-kv` job runs the model (its `derive` run
 * reports the tokens and the time), attaches the snapshot and hands the version to the usual
 * pipeline, so it is validated like any uploaded snapshot. The text is the version's chunks in
 * order, tokenised with the model's own tokenizer.json.
 */
export const deriveKvInput = z
  .object({
    base_model: z.string().min(1).max(200),
    ...derivedCubeFields,
    max_tokens: z.number().int().min(1).max(32_768).default(2048),
  })
  .strict();

/** What the new version's manifest records of its derivation, and the job reads back. */
const derivationSchema = z.object({
  kind: z.literal("plaintext-kv"),
  source_version_id: z.string(),
  base_model: z.string(),
  max_tokens: z.number().int().positive(),
});

/** A registered model that can be run here: it has an ONNX export and a tokenizer.json. */
async function runnableModel(ctx: AppContext, name: string, publisherOrgId: string) {
  const model = (await requireBaseModel(ctx.db, name, publisherOrgId)).row;
  if (!model.onnxDigest || !model.tokenizerDigest) {
    throw new AppError(
      "base_model_unknown",
      `base model '${model.name}' has no ${model.onnxDigest ? "tokenizer.json" : "ONNX export"} in the registry, so it cannot be run`,
    );
  }
  return { ...model, onnxDigest: model.onnxDigest, tokenizerDigest: model.tokenizerDigest };
}

export async function deriveKvSnapshot(
  ctx: AppContext,
  subject: Subject,
  from: { cubeId: string; version: string },
  input: z.input<typeof deriveKvInput>,
) {
  authorize(subject, "cube.write");
  const request = deriveKvInput.parse(input);
  const { cube: source, version } = await loadReadySource(
    ctx,
    subject,
    from,
    "plaintext",
    "a KV snapshot is made from plaintext",
  );
  await assertSlugFree(ctx, subject, request.slug);
  const model = await runnableModel(ctx, request.base_model, subject.orgId);
  const sourceRef = `${source.slug}@${version.version}`;
  const queued = await queueDerived(
    ctx,
    subject,
    {
      slug: request.slug,
      type: "activation",
      title: request.title,
      description: `The KV cache of ${model.name} after reading '${source.title}' ${version.version} (up to ${request.max_tokens} tokens): load it as past_key_values and ask questions without paying for the prompt.`,
      tags: source.tags,
    },
    {
      source: sourceRef,
      changelog: `KV cache of ${model.name} over ${sourceRef}`,
      metadata: {
        kind: "plaintext-kv",
        source_version_id: version.id,
        base_model: model.name,
        max_tokens: request.max_tokens,
      } satisfies z.infer<typeof derivationSchema>,
    },
    "derive-kv",
  );
  return { ...queued, base_model: model.name, max_tokens: request.max_tokens };
}

/** Rejects the version (the job cannot succeed by retrying) with this code and message. */
const rejected = (code: string, message: string) => new InputRejected({ code, message });

/**
 * The `derive-kv` job: the model's run over the source text, stored as the version's payload, and
 * the version handed to `ingest`. Its `derive` run reports the tokens used and the forward time.
 */
export async function deriveKvVersion(ctx: AppContext, versionId: string, attempt: StageAttempt = {}) {
  return runStage(ctx, versionId, "derive", attempt, () => async (version) => {
    const descriptive = version.manifest.descriptive;
    const parsed = derivationSchema.safeParse(descriptive.metadata.derivation);
    if (!parsed.success) throw rejected("invalid_input", "the version records no plaintext → KV derivation");
    const derivation = parsed.data;
    const model = await derivingModel(ctx, derivation.base_model, version.orgId);
    const texts = await versionTexts(ctx.db, { versionId: derivation.source_version_id });
    if (texts.length === 0) throw rejected("invalid_input", `${descriptive.source} has no text any more`);
    const all = (await tokenizerOf(ctx, model)).encode(texts.join("\n\n"));
    const ids = all.slice(0, derivation.max_tokens);
    const started = performance.now();
    const tensors = await kvTensors(ctx, model, ids);
    const forwardMs = performance.now() - started;
    const metadata = {
      ...kvMetadata({ baseModel: model.name, tokenizerSha256: model.tokenizerSha256, dtype: "F32", ids }),
      "memstore.derived_from": descriptive.source ?? derivation.source_version_id,
    };
    const stored = await putStream(ctx, writeSafetensors(tensors, metadata));
    await attachPayload(ctx, version, stored);
    return {
      base_model: model.name,
      source: descriptive.source,
      tokens: ids.length,
      text_tokens: all.length,
      truncated: all.length > ids.length,
      forward_ms: Math.round(forwardMs),
      payload: stored,
    };
  });
}

type DerivingModel = Awaited<ReturnType<typeof runnableModel>>;

/** The base model the derivation names, runnable here; the version is rejected otherwise. */
async function derivingModel(ctx: AppContext, name: string, orgId: string): Promise<DerivingModel> {
  try {
    return await runnableModel(ctx, name, orgId);
  } catch (error) {
    if (error instanceof AppError) throw rejected(error.code, error.message);
    throw error;
  }
}

async function tokenizerOf(ctx: AppContext, model: DerivingModel): Promise<BpeTokenizer> {
  try {
    return new BpeTokenizer(
      JSON.parse(Buffer.from(await readBlob(ctx, model.tokenizerDigest)).toString("utf8")),
    );
  } catch (error) {
    throw rejected(
      "base_model_unknown",
      `the tokenizer of '${model.name}' cannot be used here: ${(error as Error).message}`,
    );
  }
}

/** The model's forward pass over the ids: the input ids and each layer's keys and values, as tensors. */
async function kvTensors(ctx: AppContext, model: DerivingModel, ids: number[]): Promise<TensorSource[]> {
  const decoder = await DecoderModel.load(await readBlob(ctx, model.onnxDigest), decoderShape(model));
  let present;
  try {
    ({ present } = await decoder.forward(ids));
  } finally {
    await decoder.close();
  }
  const { kvHeads, headDim } = decoderShape(model);
  const tensors: TensorSource[] = [inputIdsTensor(ids)];
  present.layers.forEach((layer, l) => {
    for (const side of ["key", "value"] as const) {
      tensors.push({
        name: `past_key_values.${l}.${side}`,
        dtype: "F32",
        shape: [1, kvHeads, ids.length, headDim],
        data: new Uint8Array(layer[side].buffer, layer[side].byteOffset, layer[side].byteLength),
      });
    }
  });
  return tensors;
}

/** The stored snapshot as the version's payload, audited; a rerun finds it attached and moves on. */
async function attachPayload(
  ctx: AppContext,
  version: Pick<VersionRow, "id" | "orgId" | "manifest">,
  stored: { digest: string; size: number },
) {
  await ctx.db.transaction(async (tx) => {
    const format = payloadFormatOf("activation", SAFETENSORS) ?? "safetensors";
    const manifest = { ...version.manifest, payload: { format, ...stored } };
    const attached = await tx
      .update(cubeVersions)
      .set({ digest: stored.digest, size: stored.size, contentType: SAFETENSORS, manifest })
      .where(and(eq(cubeVersions.id, version.id), isNull(cubeVersions.digest)))
      .returning({ id: cubeVersions.id });
    if (attached.length === 0) return;
    await recordAudit(tx, {
      orgId: version.orgId,
      actor: "worker:derive-kv",
      action: "version.payload_uploaded",
      objectType: "cube_version",
      objectId: version.id,
      data: { digest: stored.digest, size: stored.size, content_type: SAFETENSORS },
    });
  });
}

import { AppError, type Subject } from "@memstore/core";
import { chunks } from "@memstore/db";
import { inputIdsTensor, kvMetadata, type TensorSource, writeSafetensors } from "@memstore/formats";
import { BpeTokenizer, DecoderModel } from "@memstore/inference";
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { authorize } from "../identity/authorize.ts";
import { requireBaseModel } from "../models/base-models.ts";
import { readBlob, SAFETENSORS_TYPE } from "../pipeline/binary.ts";
import { decoderShape } from "../pipeline/model-runs.ts";
import { assertSlugFree, derivedCubeFields, loadReadySource, publishDerived } from "./derived.ts";

/**
 * Plaintext → activation: runs a registered base model over the text of one of the organisation's
 * ready plaintext versions and publishes the resulting KV cache as a new activation cube (1.0.0,
 * through the usual pipeline, so it is validated like any uploaded snapshot). The text is the
 * version's chunks in order, tokenised with the model's own tokenizer.json.
 */
export const deriveKvInput = z
  .object({
    base_model: z.string().min(1),
    ...derivedCubeFields,
    max_tokens: z.number().int().min(1).max(32_768).default(2048),
  })
  .strict();

export async function deriveKvSnapshot(
  ctx: AppContext,
  subject: Subject,
  from: { cubeId: string; version: string },
  input: z.input<typeof deriveKvInput>,
) {
  authorize(subject, "cube.write", { orgId: subject.orgId });
  const request = deriveKvInput.parse(input);
  const { cube: source, version } = await loadReadySource(
    ctx,
    subject,
    from,
    "plaintext",
    "a KV snapshot is made from plaintext",
  );
  await assertSlugFree(ctx, subject, request.slug);
  const model = (await requireBaseModel(ctx.db, request.base_model)).row;
  if (!model.onnxDigest || !model.tokenizerDigest) {
    throw new AppError(
      "base_model_unknown",
      `base model '${model.name}' has no ${model.onnxDigest ? "tokenizer.json" : "ONNX export"} in the registry, so it cannot be run`,
    );
  }
  const rows = await ctx.db
    .select({ text: chunks.text })
    .from(chunks)
    .where(eq(chunks.versionId, version.id))
    .orderBy(asc(chunks.position));
  const text = rows.map((r) => r.text).join("\n\n");
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = new BpeTokenizer(
      JSON.parse(Buffer.from(await readBlob(ctx, model.tokenizerDigest)).toString("utf8")),
    );
  } catch (error) {
    throw new AppError(
      "base_model_unknown",
      `the tokenizer of '${model.name}' cannot be used here: ${(error as Error).message}`,
    );
  }
  const all = tokenizer.encode(text);
  const ids = all.slice(0, request.max_tokens);

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
  const metadata = {
    ...kvMetadata({ baseModel: model.name, tokenizerSha256: model.tokenizerSha256, dtype: "F32", ids }),
    "memstore.derived_from": `${source.slug}@${version.version}`,
  };

  const created = await publishDerived(
    ctx,
    subject,
    {
      slug: request.slug,
      type: "activation",
      title: request.title,
      description: `The KV cache of ${model.name} after reading '${source.title}' ${version.version} (${ids.length} tokens${all.length > ids.length ? ` of ${all.length}` : ""}): load it as past_key_values and ask questions without paying for the prompt.`,
      tags: source.tags,
    },
    writeSafetensors(tensors, metadata),
    SAFETENSORS_TYPE,
  );
  return {
    ...created,
    base_model: model.name,
    tokens: ids.length,
    truncated: all.length > ids.length,
  };
}

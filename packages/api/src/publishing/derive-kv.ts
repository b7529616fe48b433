import { Readable } from "node:stream";
import { AppError, type Subject } from "@memstore/core";
import { chunks, cubeVersions } from "@memstore/db";
import { inputIdsTensor, kvMetadata, type TensorSource, writeSafetensors } from "@memstore/formats";
import { BpeTokenizer, DecoderModel } from "@memstore/inference";
import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { authorize } from "../identity/authorize.ts";
import { requireBaseModel } from "../models/base-models.ts";
import { readBlob } from "../pipeline/binary.ts";
import { decoderShape } from "../pipeline/model-runs.ts";
import { createCube, loadOwnCube } from "./cubes.ts";
import { slugSchema } from "@memstore/core";
import { createVersion, submitVersion, uploadPayload } from "./versions.ts";

/**
 * Plaintext → activation: runs a registered base model over the text of one of the organisation's
 * ready plaintext versions and publishes the resulting KV cache as a new activation cube (1.0.0,
 * through the usual pipeline, so it is validated like any uploaded snapshot). The text is the
 * version's chunks in order, tokenised with the model's own tokenizer.json.
 */
export const deriveKvInput = z
  .object({
    base_model: z.string().min(1),
    slug: slugSchema,
    title: z.string().trim().min(1).max(200),
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
  const source = await loadOwnCube(ctx.db, subject, from.cubeId);
  if (source.type !== "plaintext") {
    throw new AppError(
      "invalid_input",
      `cube '${source.slug}' is ${source.type}; a KV snapshot is made from plaintext`,
    );
  }
  const [version] = await ctx.db
    .select()
    .from(cubeVersions)
    .where(and(eq(cubeVersions.cubeId, source.id), eq(cubeVersions.version, from.version)));
  if (!version) throw new AppError("not_found", `version ${from.version} of '${source.slug}' does not exist`);
  if (version.status !== "ready") {
    throw new AppError(
      "conflict",
      `version ${version.version} of '${source.slug}' is ${version.status}, not ready`,
    );
  }
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

  const cube = await createCube(ctx, subject, {
    slug: request.slug,
    type: "activation",
    title: request.title,
    description: `The KV cache of ${model.name} after reading '${source.title}' ${version.version} (${ids.length} tokens${all.length > ids.length ? ` of ${all.length}` : ""}): load it as past_key_values and ask questions without paying for the prompt.`,
    tags: source.tags,
  });
  await createVersion(ctx, subject, cube.id, { version: "1.0.0" });
  await uploadPayload(
    ctx,
    subject,
    { cubeId: cube.id, version: "1.0.0" },
    Readable.from(writeSafetensors(tensors, metadata)),
    "application/vnd.safetensors",
  );
  await submitVersion(ctx, subject, cube.id, "1.0.0");
  return {
    cube_id: cube.id,
    slug: cube.slug,
    version: "1.0.0",
    base_model: model.name,
    tokens: ids.length,
    truncated: all.length > ids.length,
  };
}

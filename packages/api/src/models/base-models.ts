import type { Readable } from "node:stream";
import { AppError, newId, notFound, type Subject } from "@memstore/core";
import { type BaseModelRow, baseModels, type Executor } from "@memstore/db";
import { type Architecture, architectureOf } from "@memstore/formats";
import { DecoderInterfaceError, DecoderModel } from "@memstore/inference";
import { eq } from "drizzle-orm";
import { decoderShape } from "./model-lookup.ts";
import { modelById, ownModelNamed, visibleModel, visibleModelPage } from "./queries.ts";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { deleteUnlessShared, readBlob } from "../kernel/blobs.ts";

/**
 * The base model registry: what validation checks LoRA packs and KV snapshots against. A model is
 * registered once, platform-wide, from its `config.json` and its tokenizer's hash; the organisation
 * that registered it may attach the `tokenizer.json` itself (checked against the hash).
 */
export const registerBaseModelInput = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\w.-]+(\/[\w.-]+)?$/, "a model name is 'owner/model' or 'model' (letters, digits, . _ -)"),
    config: z.record(z.string().max(200), z.unknown()),
    tokenizer_sha256: z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex SHA-256"),
  })
  .strict();

/** The largest tokenizer.json taken (Llama 3's is 9 MB). */
const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;

/** Whose name a model is: the registering organisation's, or the platform's (every publisher's). */
const ownerOf = (m: BaseModelRow): "platform" | "organization" =>
  m.registeredByOrgId === null ? "platform" : "organization";

export function baseModelView(m: BaseModelRow) {
  const a = m.architecture;
  return {
    id: m.id,
    name: m.name,
    architecture: {
      layers: a.layers,
      hidden_size: a.hiddenSize,
      heads: a.heads,
      kv_heads: a.kvHeads,
      head_dim: a.headDim,
      intermediate_size: a.intermediateSize,
      vocab_size: a.vocabSize,
    },
    tokenizer_sha256: m.tokenizerSha256,
    tokenizer_uploaded: m.tokenizerDigest !== null,
    onnx: m.onnxDigest ? { digest: m.onnxDigest, size: m.onnxSize } : null,
    owner: ownerOf(m),
    created_at: m.createdAt.toISOString(),
  };
}

export async function registerBaseModel(
  ctx: AppContext,
  subject: Subject,
  input: z.infer<typeof registerBaseModelInput>,
) {
  authorize(subject, "model.register");
  return insertBaseModel(ctx, input, { orgId: subject.orgId, actor: actorOf(subject) });
}

/**
 * Registers a model for an organisation's admin, or for the operator at the command line (no
 * organisation; the tokenizer file is attached in the same step).
 */
export async function insertBaseModel(
  ctx: AppContext,
  input: z.infer<typeof registerBaseModelInput>,
  by: { orgId: string | null; actor: string },
  tokenizerDigest: string | null = null,
) {
  const architecture: Architecture = architectureOf(input.config);
  return ctx.db.transaction(async (tx) => {
    const taken = await ownModelNamed(tx, { orgId: by.orgId, name: input.name });
    if (taken) {
      throw new AppError(
        "conflict",
        `base model '${input.name}' is already registered ${by.orgId ? "by this organisation" : "for the platform"}`,
      );
    }
    const [row] = await tx
      .insert(baseModels)
      .values({
        id: newId("bm"),
        name: input.name,
        config: input.config,
        architecture,
        tokenizerSha256: input.tokenizer_sha256,
        tokenizerDigest,
        registeredByOrgId: by.orgId,
      })
      .returning();
    if (by.orgId) {
      await recordAudit(tx, {
        orgId: by.orgId,
        actor: by.actor,
        action: "base_model.registered",
        objectType: "base_model",
        objectId: row!.id,
        data: { name: input.name, architecture },
      });
    }
    ctx.log(`base model ${input.name} registered by ${by.actor}`);
    return baseModelView(row!);
  });
}

/** Attaches the model's `tokenizer.json`; a file whose SHA-256 is not the registered one is refused. */
export async function uploadTokenizer(
  ctx: AppContext,
  subject: Subject,
  id: string,
  body: Readable | AsyncIterable<Uint8Array>,
) {
  const model = await loadModelToAmend(ctx.db, subject, id);
  let stored;
  try {
    stored = await ctx.blobs.put(body, {
      maxBytes: MAX_TOKENIZER_BYTES,
      expectedDigest: `sha256:${model.tokenizerSha256}`,
    });
  } catch (error) {
    if (error instanceof AppError && error.code === "content_rejected") {
      throw new AppError(
        "content_rejected",
        `this tokenizer.json does not hash to the registered tokenizer_sha256 of '${model.name}'`,
      );
    }
    throw error;
  }
  const [row] = await ctx.db
    .update(baseModels)
    .set({ tokenizerDigest: stored.digest })
    .where(eq(baseModels.id, model.id))
    .returning();
  return baseModelView(row!);
}

/**
 * The largest ONNX export taken: protobuf's 2 GiB limit on one file. Larger models keep their weights
 * as external data, which validation does not load.
 */
const MAX_ONNX_BYTES = 2 * 1024 ** 3 - 1;

/**
 * Attaches the model's ONNX decoder export (Optimum's layout with past), which makes validation run
 * packs and snapshots on the model. The file is stored, then loaded by onnxruntime and its inputs and
 * outputs checked against the registered config; one that does not fit is deleted and refused (422).
 */
export async function uploadOnnx(
  ctx: AppContext,
  subject: Subject,
  id: string,
  body: Readable | AsyncIterable<Uint8Array>,
) {
  const model = await loadModelToAmend(ctx.db, subject, id);
  const view = await attachOnnx(ctx, model, body);
  await ctx.db.transaction((tx) =>
    recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "base_model.onnx_attached",
      objectType: "base_model",
      objectId: model.id,
      data: view.onnx ?? {},
    }),
  );
  return view;
}

/** Stores, checks and attaches an export (the CLI calls this directly for the operator). */
export async function attachOnnx(
  ctx: AppContext,
  model: BaseModelRow,
  body: Readable | AsyncIterable<Uint8Array>,
) {
  const stored = await ctx.blobs.put(body, { maxBytes: MAX_ONNX_BYTES });
  try {
    const decoder = await DecoderModel.load(await readBlob(ctx, stored.digest), decoderShape(model));
    await decoder.close();
  } catch (error) {
    await deleteUnlessShared(ctx, stored.digest);
    if (error instanceof DecoderInterfaceError) {
      throw new AppError(
        "onnx_export_invalid",
        `this is not a decoder export of '${model.name}': ${error.message}`,
      );
    }
    throw error;
  }
  const [row] = await ctx.db
    .update(baseModels)
    .set({ onnxDigest: stored.digest, onnxSize: stored.size })
    .where(eq(baseModels.id, model.id))
    .returning();
  ctx.log(`ONNX export ${stored.digest} (${stored.size} bytes) attached to ${model.name}`);
  return baseModelView(row!);
}

export async function listBaseModels(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "model.read");
  const rows = await visibleModelPage(ctx.db, { orgId: subject.orgId, page });
  return toPage(rows.map(baseModelView), page);
}

export async function getBaseModel(ctx: AppContext, subject: Subject, id: string) {
  authorize(subject, "model.read");
  return baseModelView(await loadVisibleModel(ctx.db, subject, id));
}

/** A model the subject's organisation sees (its own or the platform's); another organisation's is a 404. */
async function loadVisibleModel(db: Executor, subject: Subject, id: string) {
  const row = await visibleModel(db, { orgId: subject.orgId, modelId: id });
  if (!row) notFound("base model");
  return row;
}

/** A model whose files the subject's organisation may attach: its own (the platform's are the operator's). */
async function loadModelToAmend(db: Executor, subject: Subject, id: string) {
  authorize(subject, "model.register");
  const model = await loadVisibleModel(db, subject, id);
  if (model.registeredByOrgId !== subject.orgId) {
    throw new AppError(
      "forbidden",
      `base model '${model.name}' is the platform's; the operator attaches its files`,
    );
  }
  return model;
}

/** A model by id, whoever registered it: for the operator's command line. */
export async function loadBaseModel(db: Executor, id: string) {
  const row = await modelById(db, { modelId: id });
  if (!row) notFound("base model");
  return row;
}

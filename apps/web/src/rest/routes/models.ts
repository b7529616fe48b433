import { pageQuery } from "@memstore/api";
import {
  getBaseModel,
  listBaseModels,
  registerBaseModel,
  registerBaseModelInput,
  uploadOnnx,
  uploadTokenizer,
} from "@memstore/api/models";
import { route } from "../route.ts";
import { bodyStream } from "../body.ts";

export const modelRoutes = [
  route({
    method: "POST",
    path: "/api/v1/base-models",
    summary: "Register a base model from its config.json and tokenizer hash (409 if the name is taken)",
    tag: "models",
    scope: "admin",
    body: registerBaseModelInput,
    status: 201,
    handler: ({ ctx, subject, body }) => registerBaseModel(ctx, subject, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/base-models",
    summary: "The base models binary cubes are validated against",
    tag: "models",
    scope: "publish",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listBaseModels(ctx, subject, query),
  }),
  route({
    method: "GET",
    path: "/api/v1/base-models/{model_id}",
    summary: "A registered base model",
    tag: "models",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject, params }) => getBaseModel(ctx, subject, params.model_id),
  }),
  route({
    method: "PUT",
    path: "/api/v1/base-models/{model_id}/tokenizer",
    summary: "Attach the model's tokenizer.json (it must hash to the registered tokenizer_sha256)",
    tag: "models",
    scope: "admin",
    rawBody: ["application/json"],
    status: 200,
    handler: ({ ctx, subject, params, request }) =>
      uploadTokenizer(ctx, subject, params.model_id, bodyStream(request)),
  }),
  route({
    method: "PUT",
    path: "/api/v1/base-models/{model_id}/onnx",
    summary:
      "Attach the model's ONNX decoder export (Optimum layout with past); validation then runs packs and snapshots on it (422 if its inputs and outputs do not fit the config)",
    tag: "models",
    scope: "admin",
    rawBody: ["application/octet-stream"],
    status: 200,
    handler: ({ ctx, subject, params, request }) =>
      uploadOnnx(ctx, subject, params.model_id, bodyStream(request)),
  }),
];

import type { BodyOf, QueryOf } from "./contract.ts";
import { enc, qs, toStream } from "./http.ts";
import type { Page, UploadBody } from "./types.ts";

type Request = <T>(method: string, path: string, body?: unknown, init?: RequestInit) => Promise<T>;

/** A base model binary cubes are validated against, as the API shows it. */
export type BaseModel = {
  id: string;
  name: string;
  architecture: {
    layers: number;
    hidden_size: number;
    heads: number;
    kv_heads: number;
    head_dim: number;
    intermediate_size: number | null;
    vocab_size: number;
  };
  tokenizer_sha256: string;
  tokenizer_uploaded: boolean;
  onnx: { digest: string; size: number | null } | null;
  /** Whose name it is: the registering organisation's, or the platform's (every publisher's). */
  owner: "platform" | "organization";
  created_at: string;
};

/** A derived cube: its 1.0.0 is processing (a KV snapshot's payload is made by a job first). */
export type Derived = { cube_id: string; slug: string; version: string };

function rawUpload(body: UploadBody, contentType: string): RequestInit {
  const stream = typeof body === "string" || body instanceof Uint8Array ? body : toStream(body);
  return {
    headers: { "content-type": contentType },
    body: stream as BodyInit,
    duplex: "half",
  } as RequestInit;
}

/**
 * Base models (`client.models`): registered from a config.json and a tokenizer hash, then given
 * the tokenizer file and the ONNX decoder export that validation runs packs and snapshots on.
 */
export class ModelsApi {
  constructor(private readonly request: Request) {}

  list(query: QueryOf<"/api/v1/base-models", "get"> = {}) {
    return this.request<Page<BaseModel>>("GET", `/api/v1/base-models${qs(query)}`);
  }
  get(modelId: string) {
    return this.request<BaseModel>("GET", `/api/v1/base-models/${enc(modelId)}`);
  }
  /** Admin: registers a model under the organisation (409 if the name is taken). */
  register(input: BodyOf<"/api/v1/base-models", "post">) {
    return this.request<BaseModel>("POST", "/api/v1/base-models", input);
  }
  /** Admin: the model's tokenizer.json, which must hash to the registered `tokenizer_sha256`. */
  uploadTokenizer(modelId: string, body: UploadBody) {
    return this.request<BaseModel>(
      "PUT",
      `/api/v1/base-models/${enc(modelId)}/tokenizer`,
      undefined,
      rawUpload(body, "application/json"),
    );
  }
  /** Admin: the ONNX decoder export (Optimum layout with past), streamed. */
  uploadOnnx(modelId: string, body: UploadBody) {
    return this.request<BaseModel>(
      "PUT",
      `/api/v1/base-models/${enc(modelId)}/onnx`,
      undefined,
      rawUpload(body, "application/octet-stream"),
    );
  }
}

/**
 * New cubes made from the organisation's own ready versions (`client.derive`): a plaintext
 * version's KV snapshot on a base model, a LoRA pack at a lower rank, several packs merged.
 */
export class DerivationsApi {
  constructor(private readonly request: Request) {}

  kvSnapshot(
    cubeId: string,
    version: string,
    input: BodyOf<"/api/v1/cubes/{cube_id}/versions/{version}/kv-snapshot", "post">,
  ) {
    return this.request<Derived & { status: "processing"; base_model: string; max_tokens: number }>(
      "POST",
      `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/kv-snapshot`,
      input,
    );
  }
  rankReduction(
    cubeId: string,
    version: string,
    input: BodyOf<"/api/v1/cubes/{cube_id}/versions/{version}/rank-reduction", "post">,
  ) {
    return this.request<
      Derived & {
        base_model: string;
        rank: number;
        from_rank: number;
        /** The reduction's error: its largest and mean relative error, and the module with the largest. */
        error: { relative_max: number; relative_mean: number; worst_module: string };
        modules: Array<{ module: string; relative_error: number; energy_kept: number }>;
      }
    >("POST", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/rank-reduction`, input);
  }
  /** `weight`: a pack's share of the sum (1 as it is, 0.5 half its effect, negative subtracts it). */
  loraMerge(input: BodyOf<"/api/v1/cubes/lora-merge", "post">) {
    return this.request<Derived & { base_model: string; modules: number; rank: number }>(
      "POST",
      "/api/v1/cubes/lora-merge",
      input,
    );
  }
}

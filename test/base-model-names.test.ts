import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { attachOnnx, insertBaseModel, loadBaseModel } from "@memstore/api/models";
import { buildTinyDecoder } from "@memstore/inference/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loraPack, TINY_CONFIG, TINY_TOKENIZER_SHA256 } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { canonicalJson } from "@memstore/watermark/signing";

/**
 * A base model's name belongs to the organisation that registered it. The probe: an organisation
 * made by public sign-up registered a name another publisher uses, with a wrong config; that
 * publisher's valid pack was rejected, and registering the right config answered 409.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let squatter: string;
let newcomer: string;
const NAME = "memstore/tiny-llama";
/** The same name with a config a pack for the real model does not fit (hidden size 48, not 32). */
const WRONG_CONFIG = { ...TINY_CONFIG, hidden_size: 48, head_dim: 12 };

beforeAll(async () => {
  bed = await openHttpTestbed();
  squatter = await bed.organization("Squatters", "owner@squatters.example.com");
  newcomer = await bed.organization("Newcomers", "owner@newcomers.example.com");
});

afterAll(async () => {
  await bed?.close();
});

const register = (key: string, name: string, config: Record<string, unknown>) =>
  bed.api("POST", "/api/v1/base-models", key, { name, config, tokenizer_sha256: TINY_TOKENIZER_SHA256 });

/** Publishes a LoRA pack as `key`'s organisation and waits for the pipeline; the version's view. */
async function publishPack(key: string, slug: string, baseModel = NAME) {
  const cube = (await bed.api("POST", "/api/v1/cubes", key, { slug, type: "parametric", title: slug })).body;
  await bed.api("POST", `/api/v1/cubes/${cube.id}/versions`, key, { version: "1.0.0" });
  const put = await fetch(`${bed.server.url}/api/v1/cubes/${cube.id}/versions/1.0.0/payload`, {
    method: "PUT",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/x-tar" },
    body: new Uint8Array(await loraPack({ config: { base_model_name_or_path: baseModel } })),
  });
  expect(put.status).toBe(200);
  await bed.api("POST", `/api/v1/cubes/${cube.id}/versions/1.0.0/submit`, key);
  await bed.t.runner.idle();
  return (await bed.api("GET", `/api/v1/cubes/${cube.id}/versions/1.0.0`, key)).body;
}

describe("base model names", () => {
  it("let a publisher register a name another organisation took, and validate against its own", async () => {
    const taken = await register(squatter, NAME, WRONG_CONFIG);
    expect(taken.status).toBe(201);
    const own = await register(bed.publisherKey, NAME, TINY_CONFIG);
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ name: NAME, owner: "organization" });
    expect((await register(bed.publisherKey, NAME, TINY_CONFIG)).status).toBe(409);

    const version = await publishPack(bed.publisherKey, "harbour-pack");
    expect(version.status).toBe("ready");
    // The version says which registration it was checked against, in its signed manifest.
    const digest = createHash("sha256").update(canonicalJson(TINY_CONFIG)).digest("hex");
    expect(version.manifest.payload).toMatchObject({
      base_model: NAME,
      base_model_id: own.body.id,
      base_model_config_sha256: digest,
    });
    const validate = version.runs.find((r: { kind: string }) => r.kind === "validate");
    expect(validate.report).toMatchObject({ base_model_id: own.body.id, base_model_config_sha256: digest });

    // The squatter's own pack is judged against its own (wrong) registration, and fails.
    const theirs = await publishPack(squatter, "squatter-pack");
    expect(theirs.status).toBe("rejected");
  });

  it("keep each organisation's registrations to itself", async () => {
    const names = async (key: string) =>
      (
        (await bed.api("GET", "/api/v1/base-models", key)).body.items as Array<{
          id: string;
          config?: unknown;
        }>
      ).map((m) => m.id);
    const ours = await names(bed.publisherKey);
    const theirs = await names(squatter);
    expect(ours).toHaveLength(1);
    expect(theirs).toHaveLength(1);
    expect(ours).not.toEqual(theirs);
    expect((await bed.api("GET", `/api/v1/base-models/${ours[0]}`, squatter)).status).toBe(404);
    expect((await names(newcomer)).length).toBe(0);
    // A publisher without a registration of the name cannot borrow another organisation's.
    const borrowed = await publishPack(newcomer, "newcomer-pack");
    expect(borrowed.status).toBe("rejected");
    const failed = borrowed.runs.find((r: { status: string }) => r.status === "failed");
    expect(failed.report.error.code).toBe("base_model_unknown");
  });

  it("lets every publisher use a model the platform registered, which only the operator amends", async () => {
    const platform = await insertBaseModel(
      bed.t.ctx,
      { name: "memstore/platform-llama", config: TINY_CONFIG, tokenizer_sha256: TINY_TOKENIZER_SHA256 },
      { orgId: null, actor: "operator" },
    );
    await attachOnnx(
      bed.t.ctx,
      await loadBaseModel(bed.t.ctx.db, platform.id),
      Readable.from([buildTinyDecoder().onnx]),
    );
    const version = await publishPack(newcomer, "platform-pack", "memstore/platform-llama");
    expect(version.status).toBe("ready");
    expect(version.manifest.payload.base_model_id).toBe(platform.id);
    const amend = await fetch(`${bed.server.url}/api/v1/base-models/${platform.id}/onnx`, {
      method: "PUT",
      headers: { authorization: `Bearer ${newcomer}`, "content-type": "application/octet-stream" },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(amend.status).toBe(403);
  });
});

import { createCube } from "@memstore/api/catalog";
import { artifacts } from "@memstore/db";
import { openSafetensors, readAllTensors, readTar, writeTar } from "@memstore/formats";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bytesOf,
  kvSnapshot,
  LORA_CONFIG,
  loraPack,
  loraTensors,
  TINY_CONFIG,
  TINY_TOKENIZER,
  TINY_TOKENIZER_SHA256,
} from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Binary cubes through the API: the base model registry, LoRA packs and KV snapshots uploaded,
 * normalised, converted and validated against the registry, and every class of bad input rejected
 * with its code.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
  const registered = await bed.api("POST", "/api/v1/base-models", bed.publisherKey, {
    name: "memstore/tiny-llama",
    config: TINY_CONFIG,
    tokenizer_sha256: TINY_TOKENIZER_SHA256,
  });
  expect(registered.status).toBe(201);
});

afterAll(async () => {
  await bed?.close();
});

let slugs = 0;
/** A cube of `type` with 1.0.0 uploaded, submitted and processed; its version view. */
const published = (type: "activation" | "parametric", payload: Uint8Array) =>
  bed.publishedBinary(`binary-${++slugs}`, type, payload);

type Run = {
  kind: string;
  status: string;
  report: Record<string, unknown> & { error?: { code: string; message: string } };
};
const runsOf = (version: { runs: Run[] }) => version.runs.map((r) => [r.kind, r.status]);
const failureOf = (version: { runs: Run[] }) => version.runs.find((r) => r.status === "failed")?.report.error;

async function artifactsOf(versionId: string) {
  const rows = await bed.t.ctx.db.select().from(artifacts).where(eq(artifacts.versionId, versionId));
  return new Map(rows.map((r) => [r.role, r]));
}
const blob = async (digest: string) => bytesOf(await bed.t.ctx.blobs.get(digest));

describe("base model registry", () => {
  it("registers a model from its config.json (admin scope), lists it to publishers and refuses a second or a broken one", async () => {
    const list = await bed.api("GET", "/api/v1/base-models", bed.publisherKey);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        name: "memstore/tiny-llama",
        architecture: {
          layers: 2,
          hidden_size: 32,
          heads: 4,
          kv_heads: 2,
          head_dim: 8,
          intermediate_size: 64,
          vocab_size: 300,
        },
        tokenizer_sha256: TINY_TOKENIZER_SHA256,
        tokenizer_uploaded: false,
      }),
    ]);
    const again = await bed.api("POST", "/api/v1/base-models", bed.publisherKey, {
      name: "memstore/tiny-llama",
      config: TINY_CONFIG,
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    expect(again.status).toBe(409);
    const broken = await bed.api("POST", "/api/v1/base-models", bed.publisherKey, {
      name: "memstore/broken",
      config: { ...TINY_CONFIG, num_key_value_heads: 3 },
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe("base_model_config_invalid");
    expect(broken.body.detail).toMatch(/not a multiple of num_key_value_heads \(3\)/);

    // The tokenizer file is checked against the registered hash.
    const id = list.body.items[0].id;
    const put = (body: Buffer) =>
      fetch(`${bed.server.url}/api/v1/base-models/${id}/tokenizer`, {
        method: "PUT",
        headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/json" },
        body: new Uint8Array(body),
      });
    const wrong = await put(Buffer.from('{"other":true}'));
    expect(wrong.status).toBe(422);
    const right = await put(TINY_TOKENIZER);
    expect(right.status).toBe(200);
    expect((await right.json()).tokenizer_uploaded).toBe(true);

    // Another organisation's subscribe-only key may not register models.
    const other = await bed.organization("Reader Co", "owner@reader.example.com");
    const key = await bed.api("POST", "/api/v1/keys", other, { name: "sub", scopes: ["subscribe"] });
    const refused = await bed.api("POST", "/api/v1/base-models", key.body.key, {
      name: "x/y",
      config: TINY_CONFIG,
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    expect(refused.status).toBe(403);
  });
});

describe("LoRA packs", () => {
  it("takes a PEFT tar to ready: canonical pack, f16 and bf16 variants, static and numeric checks in the report", async () => {
    const { version } = await published("parametric", await loraPack());
    expect(version.status).toBe("ready");
    expect(runsOf(version)).toEqual([
      ["ingest", "succeeded"],
      ["convert", "succeeded"],
      ["validate", "succeeded"],
      ["sign", "succeeded"],
    ]);
    expect(version.manifest.payload).toMatchObject({
      format: "peft-tar",
      base_model: "memstore/tiny-llama",
      rank: 4,
      alpha: 8,
      target_modules: ["q_proj", "v_proj"],
      modules: 4,
      dtype: "f32",
    });
    const validate = version.runs.find((r: Run) => r.kind === "validate")!.report;
    expect(validate.static).toMatchObject({ modules: 4, layers: 2, scaling: [2], result: "passed" });
    expect(validate.numeric).toMatchObject({ tensors: 8, norm_outliers: [] });

    const stored = await artifactsOf(version.id);
    expect([...stored.keys()].sort()).toEqual(
      [
        "adapter-config",
        "bf16",
        "canonical",
        "f16",
        "source-weights",
        "weights",
        "weights-bf16",
        "weights-f16",
      ].sort(),
    );
    // The canonical pack is a tar of the config and sorted weights; the f16 variant holds the same
    // numbers to f16 precision.
    const files = new Map<string, Buffer>();
    for await (const entry of readTar([await blob(stored.get("canonical")!.digest)], {
      maxEntries: 4,
      maxBytes: 1 << 20,
    })) {
      files.set(entry.path, await bytesOf(entry.chunks));
    }
    expect([...files.keys()]).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    expect(JSON.parse(files.get("adapter_config.json")!.toString())).toMatchObject({
      r: 4,
      peft_type: "LORA",
    });
    const canonical = await readAllTensors([files.get("adapter_model.safetensors")!]);
    const f16 = await readAllTensors([await blob(stored.get("weights-f16")!.digest)]);
    for (const source of loraTensors()) {
      const expected = new Float32Array((source.data as Uint8Array).buffer);
      const c = canonical.tensors.get(source.name)!;
      expect(Buffer.from(c.data).equals(Buffer.from(source.data as Uint8Array))).toBe(true);
      const half = f16.tensors.get(source.name)!;
      expect(half.dtype).toBe("F16");
      const back = new Uint16Array(half.data.buffer, half.data.byteOffset, half.data.length / 2);
      for (let i = 0; i < expected.length; i += 7) {
        expect(Math.abs(f16ToNumber(back[i]!) - expected[i]!)).toBeLessThanOrEqual(
          Math.abs(expected[i]!) / 1024 + 1e-7,
        );
      }
    }
  });

  it("rejects a pack that does not fit the base model, NaN weights, a traversal tar and a pickle, each with its code", async () => {
    const misfit = await published("parametric", await loraPack({ hidden: 64 }));
    expect(misfit.version.status).toBe("rejected");
    expect(runsOf(misfit.version)).toEqual([
      ["ingest", "succeeded"],
      ["convert", "succeeded"],
      ["validate", "failed"],
    ]);
    expect(failureOf(misfit.version)).toMatchObject({
      code: "base_model_mismatch",
      tensor: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
    });

    const poisoned = await published("parametric", await loraPack({ poison: true }));
    expect(failureOf(poisoned.version)).toMatchObject({
      code: "tensor_not_finite",
      message:
        "tensor 'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight' holds 1 NaN and 0 infinite values of 128",
    });

    const unknown = await published(
      "parametric",
      await loraPack({ config: { base_model_name_or_path: "acme/giant-70b" } }),
    );
    expect(failureOf(unknown.version)).toMatchObject({ code: "base_model_unknown" });
    expect(failureOf(unknown.version)!.message).toMatch(/registered: memstore\/tiny-llama/);

    const traversal = await bytesOf(
      writeTar([{ path: "../../adapter_config.json", size: 2, data: Buffer.from("{}") }]),
    );
    const unsafe = await published("parametric", traversal);
    expect(runsOf(unsafe.version)).toEqual([["ingest", "failed"]]);
    expect(failureOf(unsafe.version)).toMatchObject({
      code: "tar_unsafe",
      path: "../../adapter_config.json",
    });

    const config = Buffer.from(JSON.stringify(LORA_CONFIG));
    const pickled = await bytesOf(
      writeTar([
        { path: "adapter_config.json", size: config.length, data: config },
        { path: "adapter_model.bin", size: 4, data: Buffer.from([0x80, 0x02, 0x7d, 0x71]) },
      ]),
    );
    expect(failureOf((await published("parametric", pickled)).version)).toMatchObject({
      code: "pickle_refused",
    });
  });
});

describe("KV snapshots", () => {
  it("normalises the cache and stacked layouts to the canonical file, byte for byte", async () => {
    const canonical = await published("activation", await kvSnapshot());
    expect(canonical.version.status).toBe("ready");
    expect(canonical.version.manifest.payload).toMatchObject({
      format: "safetensors",
      base_model: "memstore/tiny-llama",
      tokens: 40,
      layers: 2,
      kv_heads: 2,
      head_dim: 8,
      dtype: "f32",
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    expect(canonical.version.manifest.payload.prefix_hashes).toHaveLength(1);
    const reference = (await artifactsOf(canonical.version.id)).get("canonical")!;
    for (const layout of ["cache", "stacked"] as const) {
      const other = await published("activation", await kvSnapshot({ layout }));
      expect(other.version.status).toBe("ready");
      const convert = other.version.runs.find((r: Run) => r.kind === "convert")!.report;
      expect(convert.normalised_from).toBe(layout);
      expect((await artifactsOf(other.version.id)).get("canonical")!.digest).toBe(reference.digest);
    }
    const { header } = await openSafetensors([await blob(reference.digest)]);
    expect(header.tensors.map((t) => t.name)).toEqual([
      "input_ids",
      "past_key_values.0.key",
      "past_key_values.0.value",
      "past_key_values.1.key",
      "past_key_values.1.value",
    ]);
  });

  it("rejects a snapshot of another model, a truncated file and a pickle upload (415 at the door)", async () => {
    const other = await published("activation", await kvSnapshot({ layers: 3 }));
    expect(failureOf(other.version)).toMatchObject({
      code: "base_model_mismatch",
      message: "the snapshot has layers 3; memstore/tiny-llama has 2",
    });

    const file = await kvSnapshot();
    const truncated = await published("activation", file.subarray(0, file.length - 100));
    expect(runsOf(truncated.version)).toEqual([["ingest", "failed"]]);
    expect(failureOf(truncated.version)!.code).toBe("safetensors_truncated");

    const cube = await createCube(bed.t.ctx, bed.publisher, {
      slug: "pickled-kv",
      type: "activation",
      title: "pickled",
      description: "",
      tags: [],
    });
    await bed.api("POST", `/api/v1/cubes/${cube.id}/versions`, bed.publisherKey, { version: "1.0.0" });
    const upload = await fetch(`${bed.server.url}/api/v1/cubes/${cube.id}/versions/1.0.0/payload`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/vnd.safetensors" },
      body: new Uint8Array(Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.alloc(10_000)])),
    });
    expect(upload.status).toBe(415);
    const problem = await upload.json();
    expect(problem.code).toBe("pickle_refused");
    expect(problem.detail).toMatch(/convert the weights to safetensors/);
    const draft = await bed.api("GET", `/api/v1/cubes/${cube.id}/versions/1.0.0`, bed.publisherKey);
    expect(draft.body.digest).toBeNull();
  });
});

function f16ToNumber(h: number) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

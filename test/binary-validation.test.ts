import { createCube } from "@memstore/api/catalog";
import { artifacts, cubeVersions } from "@memstore/db";
import {
  floatsOf,
  type LoraConfig,
  loraKey,
  parseLoraConfig,
  rankAndScaling,
  readAllTensors,
  tokenIds,
  writeLoraPack,
} from "@memstore/formats";
import {
  BpeTokenizer,
  DecoderModel,
  type KvRunReport,
  type LoraModule,
  loraDelta,
  type LoraRunReport,
  runKvValidation,
} from "@memstore/inference";
import { buildTinyDecoder, writeTinyEncoder } from "@memstore/inference/testing";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bytesOf,
  kvSnapshot,
  LORA_CONFIG,
  loraPack,
  loraTensors,
  modelKvSnapshot,
  PROMPT_IDS,
  TINY_CONFIG,
  TINY_TOKENIZER,
  TINY_TOKENIZER_SHA256,
} from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Validation runs on the base model: once the registry holds the tiny decoder's ONNX export, a KV
 * snapshot must reproduce its prompt when injected (with time to first token measured both ways)
 * and a LoRA pack must change every module it adapts; the KV fingerprint of a sold copy stays
 * within the same tolerance.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let modelId = "";
const tiny = buildTinyDecoder();
const SHAPE = { layers: 2, kvHeads: 2, headDim: 8, vocabSize: 300 };

beforeAll(async () => {
  bed = await openHttpTestbed();
  modelId = await bed.registerTinyModel();
});

afterAll(async () => {
  await bed?.close();
});

const putOnnx = (id: string, body: Uint8Array) =>
  fetch(`${bed.server.url}/api/v1/base-models/${id}/onnx`, {
    method: "PUT",
    headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/octet-stream" },
    body: new Uint8Array(body),
  });

let slugs = 0;
const published = (type: "activation" | "parametric", payload: Uint8Array) =>
  bed.publishedBinary(`validated-${++slugs}`, type, payload);

type Run = {
  kind: string;
  status: string;
  report: {
    run: KvRunReport &
      LoraRunReport & { skipped?: string; variants: Record<string, Pick<KvRunReport, "passed" | "logits">> };
  };
};
const reportOf = (version: { runs: Run[] }) => version.runs.find((r) => r.kind === "validate")!.report;

describe("the registry's ONNX export", () => {
  it("takes a decoder export that fits the config, and refuses one that does not, keeping nothing of it", async () => {
    // Before an export is attached, validation says it skipped the run.
    const before = await published("activation", await modelKvSnapshot(tiny.onnx, PROMPT_IDS));
    expect(before.version.status).toBe("ready");
    expect(reportOf(before.version).run.skipped).toMatch(/no ONNX export of memstore\/tiny-llama/);

    const encoder = writeTinyEncoder(mkdtempSync(join(tmpdir(), "encoder-")));
    const encoderBytes = readFileSync(join(encoder.dir, "model.onnx"));
    const notDecoder = await putOnnx(modelId, encoderBytes);
    expect(notDecoder.status).toBe(422);
    const problem = await notDecoder.json();
    expect(problem.code).toBe("onnx_export_invalid");
    expect(problem.detail).toMatch(/lacks input 'position_ids'/);
    expect(
      await bed.t.ctx.blobs.stat(`sha256:${createHash("sha256").update(encoderBytes).digest("hex")}`),
    ).toBeNull();

    // A model registered with 4 KV heads does not fit this export's caches.
    const wide = await bed.api("POST", "/api/v1/base-models", bed.publisherKey, {
      name: "memstore/tiny-llama-mha",
      config: { ...TINY_CONFIG, num_key_value_heads: 4 },
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    const misfit = await putOnnx(wide.body.id, tiny.onnx);
    expect(misfit.status).toBe(422);
    expect((await misfit.json()).detail).toMatch(/has 2 KV heads, the registered config has 4/);

    const ok = await putOnnx(modelId, tiny.onnx);
    expect(ok.status).toBe(200);
    const view = await ok.json();
    expect(view.onnx).toEqual({
      digest: `sha256:${createHash("sha256").update(tiny.onnx).digest("hex")}`,
      size: tiny.onnx.length,
    });
    const shown = await bed.api("GET", `/api/v1/base-models/${modelId}`, bed.publisherKey);
    expect(shown.body.onnx.size).toBe(tiny.onnx.length);
  });
});

describe("KV snapshots run on the model", () => {
  it("passes a snapshot the model computed, with logits, cache and TTFT both ways in the report", async () => {
    const { version } = await published("activation", await modelKvSnapshot(tiny.onnx, PROMPT_IDS));
    expect(version.status).toBe("ready");
    const run = reportOf(version).run;
    expect(run).toMatchObject({ provider: "cpu", tokens: PROMPT_IDS.length, probe_tokens: 8, passed: true });
    expect(run.logits.relative).toBeLessThan(1e-5);
    expect(run.cache.relative).toBeLessThan(1e-5);
    expect(run.tolerance).toBe(0.01);
    expect(run.ttft_ms.full_prompt).toBeGreaterThan(0);
    expect(run.ttft_ms.from_snapshot).toBeGreaterThan(0);
    expect(run.speedup).toBeGreaterThan(0);

    // The int8 variant: a quarter of the cache's bytes, its reconstruction error in the convert
    // report, and run on the model it still reproduces the prompt within the tolerance.
    const convert = version.runs.find((r: Run) => r.kind === "convert").report;
    const int8 = convert.variants.int8;
    expect(int8.quantization).toMatch(/per channel/);
    expect(int8.reconstruction.relative_rms_error).toBeGreaterThan(0);
    expect(int8.reconstruction.relative_rms_error).toBeLessThan(0.02);
    expect(int8.reconstruction.bytes_ratio).toBeCloseTo(
      0.25 + (2 * 8 * 4) / (2 * PROMPT_IDS.length * 8 * 4),
      3,
    );
    expect(run.variants.int8!.passed).toBe(true);
    expect(run.variants.int8!.logits.max_abs_diff).toBeGreaterThan(0);
    const { metadata, tensors } = await readAllTensors(await bed.t.ctx.blobs.get(int8.digest));
    expect(metadata).toMatchObject({ dtype: "int8", base_model: "memstore/tiny-llama" });
    expect(tensors.get("past_key_values.1.value")!.dtype).toBe("I8");
    expect(tensors.get("past_key_values.1.value.scale")!.shape).toEqual([1, 2, 1, 8]);
  });

  it("rejects a snapshot whose numbers the model does not reproduce (kv_run_mismatch)", async () => {
    const { version } = await published("activation", await kvSnapshot());
    expect(version.status).toBe("rejected");
    const error = version.runs.find((r: Run) => r.status === "failed").report.error;
    expect(error.code).toBe("kv_run_mismatch");
    expect(error.message).toMatch(/does not reproduce its prompt.*tolerance 0\.01/);
    expect(error.run.passed).toBe(false);
  });

  it("keeps every subscriber's fingerprinted copy within the tolerance", async () => {
    const { cube } = await published("activation", await modelKvSnapshot(tiny.onnx, PROMPT_IDS));
    const listing = await bed.freeListing(cube.id);
    // The store tells buyers it ran on the model, and what it showed.
    const shown = (await bed.api("GET", `/api/v1/store/listings/${listing.id}`, bed.publisherKey)).body;
    expect(shown.checks).toEqual({ signed: true, desensitised: null, validated: "model-run" });
    const validation = shown.versions[0].validation;
    expect(validation).toMatchObject({
      base_model: "memstore/tiny-llama",
      level: "model-run",
      provider: "cpu",
      lora: null,
    });
    expect(validation.kv.logits_max_abs_diff).toBeLessThanOrEqual(validation.kv.tolerance);
    expect(validation.kv.speedup).toBeGreaterThan(0);
    const model = await DecoderModel.load(tiny.onnx, SHAPE);
    for (const name of ["Copy A", "Copy B"]) {
      const s = await bed.subscriber(name, listing.id);
      await bed.t.runner.idle();
      const response = await fetch(
        `${bed.server.url}/api/v1/vaults/${s.vault.id}/installs/${s.installId}/payload`,
        { headers: { authorization: `Bearer ${s.key}` } },
      );
      expect(response.status).toBe(200);
      const { tensors } = await readAllTensors([Buffer.from(await response.arrayBuffer())]);
      const floats = (n: string) => {
        const d = tensors.get(n)!.data;
        return new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
      };
      const cache = {
        tokens: PROMPT_IDS.length,
        layers: [0, 1].map((l) => ({
          key: floats(`past_key_values.${l}.key`),
          value: floats(`past_key_values.${l}.value`),
        })),
      };
      const report = await runKvValidation(model, { ids: PROMPT_IDS, cache });
      expect(report.passed).toBe(true);
      // The copy is marked: not the snapshot's exact numbers.
      expect(report.cache.max_abs_diff).toBeGreaterThan(0);
    }
    await model.close();
  });
});

describe("LoRA packs run on the model", () => {
  it("reports the logit change, the KL and each adapted module's change", async () => {
    const { version } = await published(
      "parametric",
      await bytesOf(writeLoraPack(LORA_CONFIG, loraTensors())),
    );
    expect(version.status).toBe("ready");
    const run = reportOf(version).run;
    expect(run).toMatchObject({ provider: "cpu", probes: 4, probe_tokens: 16, finite: true });
    expect(run.logits.mean_abs_change).toBeGreaterThan(0);
    expect(run.kl.mean).toBeGreaterThan(0);
    expect(run.modules.map((m: { module: string }) => m.module)).toEqual([
      "model.layers.0.self_attn.q_proj",
      "model.layers.0.self_attn.v_proj",
      "model.layers.1.self_attn.q_proj",
      "model.layers.1.self_attn.v_proj",
    ]);
    for (const m of run.modules) expect(m.relative_change).toBeGreaterThan(0.001);
  });

  it("rejects a pack with a module that changes nothing (lora_no_effect names it)", async () => {
    const tensors = loraTensors().map((t) =>
      t.name.includes("layers.1.self_attn.v_proj.lora_B")
        ? { ...t, data: new Uint8Array((t.data as Uint8Array).length) }
        : t,
    );
    const { version } = await published("parametric", await bytesOf(writeLoraPack(LORA_CONFIG, tensors)));
    expect(version.status).toBe("rejected");
    const error = version.runs.find((r: Run) => r.status === "failed").report.error;
    expect(error.code).toBe("lora_no_effect");
    expect(error.module).toBe("model.layers.1.self_attn.v_proj");
    expect(error.message).toMatch(/1 of 4 adapted modules change nothing/);
  });
});

describe("LoRA merge and rank reduction", () => {
  /** Every module of a stored weights file with the scaling its stored config gives it. */
  async function modulesOf(versionId: string) {
    const roles = await bed.t.ctx.db.select().from(artifacts).where(eq(artifacts.versionId, versionId));
    const digest = (role: string) => roles.find((r) => r.role === role)!.digest;
    const config = parseLoraConfig(await bytesOf(await bed.t.ctx.blobs.get(digest("adapter-config"))));
    const { tensors } = await readAllTensors(await bed.t.ctx.blobs.get(digest("weights")));
    return { config, modules: modulesFrom([...tensors.values()], config) };
  }

  function modulesFrom(tensors: { name: string; shape: number[]; data: Uint8Array }[], config: LoraConfig) {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const paths = tensors
      .map((t) => /^base_model\.model\.(.+)\.lora_A\.weight$/.exec(t.name)?.[1])
      .filter((p): p is string => !!p);
    return new Map(
      paths.map((path): [string, LoraModule] => {
        const a = byName.get(loraKey(path, "A"))!;
        const b = byName.get(loraKey(path, "B"))!;
        const { rank, scaling } = rankAndScaling(config, path);
        expect(a.shape[0]).toBe(rank);
        return [
          path,
          {
            module: path,
            rank,
            scaling,
            inFeatures: a.shape[1]!,
            outFeatures: b.shape[0]!,
            a: floatsOf(a.data, "F32"),
            b: floatsOf(b.data, "F32"),
          },
        ];
      }),
    );
  }

  const relativeDiff = (x: Float32Array, y: Float32Array) =>
    Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / y.reduce((s, v) => s + v * v, 0));

  it("merges two packs exactly into a new cube that validates, then cuts it to rank 2 with the error it reports", async () => {
    const first = await published("parametric", await loraPack());
    const secondTensors = loraTensors({ seed: 50, layers: 1 });
    const second = await published(
      "parametric",
      await bytesOf(writeLoraPack({ ...LORA_CONFIG, lora_alpha: 4 }, secondTensors)),
    );
    const merge = (body: Record<string, unknown>) =>
      bed.api("POST", "/api/v1/cubes/lora-merge", bed.publisherKey, {
        slug: "merged-pack",
        title: "Merged pack",
        ...body,
      });
    const sources = [
      { cube_id: first.cube.id, version: "1.0.0" },
      { cube_id: second.cube.id, version: "1.0.0", weight: 0.5 },
    ];
    const made = await merge({ sources });
    expect(made.status).toBe(202);
    expect(made.body).toMatchObject({ slug: "merged-pack", version: "1.0.0", modules: 4, rank: 8 });
    await bed.t.runner.idle();
    const version = (
      await bed.api("GET", `/api/v1/cubes/${made.body.cube_id}/versions/1.0.0`, bed.publisherKey)
    ).body;
    expect(version.status).toBe("ready");
    expect(version.manifest.payload).toMatchObject({ base_model: "memstore/tiny-llama", modules: 4 });
    expect(reportOf(version).run.modules).toHaveLength(4);

    // Layer 0 has both packs (rank 4 + 4); layer 1 only the first: the config says so per module.
    const { config, modules } = await modulesOf(version.id);
    expect(config).toMatchObject({ r: 4, lora_alpha: 4 });
    expect(config.rank_pattern).toEqual({
      "model\\.layers\\.0\\.self_attn\\.q_proj": 8,
      "model\\.layers\\.0\\.self_attn\\.v_proj": 8,
    });
    const one = modulesFrom(loraTensors() as never, LORA_CONFIG);
    const two = modulesFrom(secondTensors as never, { ...LORA_CONFIG, lora_alpha: 4 });
    for (const [path, merged] of modules) {
      const expected = loraDelta(one.get(path)!);
      const other = two.get(path);
      if (other) loraDelta(other).forEach((v, i) => (expected[i]! += 0.5 * v));
      expect(relativeDiff(loraDelta(merged), expected)).toBeLessThan(1e-6);
    }

    // Bad requests leave nothing behind.
    expect((await merge({ sources })).body.code).toBe("slug_taken");
    const plain = await bed.listedCube("merge-plaintext", "Some text.");
    const notPack = await merge({
      slug: "merge-2",
      sources: [sources[0], { cube_id: plain.cube.id, version: "1.0.0" }],
    });
    expect(notPack.status).toBe(400);
    expect(notPack.body.detail).toMatch(/is plaintext; only LoRA packs/);
    const twin = await bed.api("POST", "/api/v1/base-models", bed.publisherKey, {
      name: "memstore/tiny-llama-twin",
      config: TINY_CONFIG,
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    expect(twin.status).toBe(201);
    const foreign = await published(
      "parametric",
      await loraPack({ config: { base_model_name_or_path: "memstore/tiny-llama-twin" } }),
    );
    const mismatch = await merge({
      slug: "merge-3",
      sources: [sources[0], { cube_id: foreign.cube.id, version: "1.0.0" }],
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.code).toBe("base_model_mismatch");
    expect((await merge({ slug: "merge-4", sources: [sources[0]] })).status).toBe(400);
    const slugs = (await bed.api("GET", "/api/v1/cubes?limit=100", bed.publisherKey)).body.items.map(
      (c: { slug: string }) => c.slug,
    );
    expect(slugs.filter((s: string) => s.startsWith("merge-"))).toEqual(["merge-plaintext"]);

    // Rank reduction of the merged pack to 2.
    const reduce = (body: Record<string, unknown>) =>
      bed.api("POST", `/api/v1/cubes/${made.body.cube_id}/versions/1.0.0/rank-reduction`, bed.publisherKey, {
        slug: "merged-pack-r2",
        title: "Merged pack, rank 2",
        ...body,
      });
    expect((await reduce({ rank: 8 })).body.detail).toMatch(/has rank 8; a reduction asks for less/);
    const reduced = await reduce({ rank: 2 });
    expect(reduced.status).toBe(202);
    expect(reduced.body).toMatchObject({ rank: 2, from_rank: 8, base_model: "memstore/tiny-llama" });
    expect(reduced.body.error.relative_max).toBeGreaterThan(0);
    expect(reduced.body.error.relative_max).toBeLessThan(1);
    await bed.t.runner.idle();
    const reducedVersion = (
      await bed.api("GET", `/api/v1/cubes/${reduced.body.cube_id}/versions/1.0.0`, bed.publisherKey)
    ).body;
    expect(reducedVersion.status).toBe("ready");
    const cut = await modulesOf(reducedVersion.id);
    expect(cut.config).toMatchObject({ r: 2, lora_alpha: 2, rank_pattern: {} });
    for (const { module, relative_error, energy_kept } of reduced.body.modules) {
      const measured = relativeDiff(loraDelta(cut.modules.get(module)!), loraDelta(modules.get(module)!));
      expect(relative_error).toBeCloseTo(measured, 5);
      expect(energy_kept).toBeCloseTo(1 - measured ** 2, 5);
    }
  });
});

describe("plaintext → KV snapshot", () => {
  const GUIDE = [
    "# Paris",
    "",
    "The capital of France is Paris. The river Seine flows through Paris.",
    "",
    "## Tax",
    "",
    "Income tax law in France sets the rate of tax on income; the VAT rate is set by law.",
  ].join("\n");

  it("queues a model run over a ready plaintext version and publishes its cache as a new activation cube that validates", async () => {
    const source = await createCube(bed.t.ctx, bed.publisher, {
      slug: "paris-guide",
      type: "plaintext",
      title: "Paris guide",
      tags: ["travel"],
    });
    await bed.publishVersion(source.id, "1.0.0", GUIDE);
    const derive = (body: Record<string, unknown>) =>
      bed.api("POST", `/api/v1/cubes/${source.id}/versions/1.0.0/kv-snapshot`, bed.publisherKey, {
        base_model: "memstore/tiny-llama",
        ...body,
      });

    // The model cannot tokenise without its tokenizer.json.
    const noTokenizer = await derive({ slug: "paris-kv", title: "Paris guide, read by tiny-llama" });
    expect(noTokenizer.status).toBe(422);
    expect(noTokenizer.body.detail).toMatch(/no tokenizer\.json/);
    const put = await fetch(`${bed.server.url}/api/v1/base-models/${modelId}/tokenizer`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/json" },
      body: new Uint8Array(TINY_TOKENIZER),
    });
    expect(put.status).toBe(200);

    const made = await derive({ slug: "paris-kv", title: "Paris guide, read by tiny-llama" });
    expect(made.status).toBe(202);
    expect(made.body).toMatchObject({
      slug: "paris-kv",
      version: "1.0.0",
      status: "processing",
      base_model: "memstore/tiny-llama",
      max_tokens: 2048,
    });
    // The answer comes before the model runs: the version is processing, its payload still to come.
    const queued = (
      await bed.api("GET", `/api/v1/cubes/${made.body.cube_id}/versions/1.0.0`, bed.publisherKey)
    ).body;
    expect(queued.status).toBe("processing");
    expect(queued.manifest.descriptive).toMatchObject({ origin: "derived", source: "paris-guide@1.0.0" });
    await bed.t.runner.idle();
    const version = (
      await bed.api("GET", `/api/v1/cubes/${made.body.cube_id}/versions/1.0.0`, bed.publisherKey)
    ).body;
    expect(version.status).toBe("ready");
    expect(version.manifest.type).toBe("activation");
    const derived = version.runs.find((r: Run) => r.kind === "derive")!.report;
    expect(derived).toMatchObject({
      base_model: "memstore/tiny-llama",
      source: "paris-guide@1.0.0",
      truncated: false,
    });
    expect(derived.tokens).toBe(derived.text_tokens);
    expect(derived.forward_ms).toBeGreaterThanOrEqual(0);
    expect(version.manifest.payload).toMatchObject({
      base_model: "memstore/tiny-llama",
      tokens: derived.tokens,
    });
    expect(reportOf(version).run).toMatchObject({ passed: true, tokens: derived.tokens });

    // Its tokens are the guide's text (the chunks, in order) through the model's tokenizer.
    const [payload] = await bed.t.ctx.db.select().from(cubeVersions).where(eq(cubeVersions.id, version.id));
    const { tensors, metadata } = await readAllTensors(await bed.t.ctx.blobs.get(payload!.digest!));
    const ids = tokenIds(tensors.get("input_ids")!.data, "I64");
    const tokenizer = new BpeTokenizer(JSON.parse(TINY_TOKENIZER.toString()));
    expect(ids).toHaveLength(derived.tokens);
    expect(tokenizer.encode("The capital of France is Paris.").every((id) => ids.includes(id))).toBe(true);
    expect(metadata["memstore.derived_from"]).toBe("paris-guide@1.0.0");

    const short = await derive({ slug: "paris-kv-16", title: "First 16 tokens", max_tokens: 16 });
    expect(short.body).toMatchObject({ max_tokens: 16 });
    await bed.t.runner.idle();
    const shortVersion = (
      await bed.api("GET", `/api/v1/cubes/${short.body.cube_id}/versions/1.0.0`, bed.publisherKey)
    ).body;
    expect(shortVersion.status).toBe("ready");
    expect(shortVersion.runs.find((r: Run) => r.kind === "derive")!.report).toMatchObject({
      tokens: 16,
      text_tokens: derived.tokens,
      truncated: true,
    });
    // A taken slug is refused before anything is queued.
    const again = await derive({ slug: "paris-kv", title: "again" });
    expect(again.status).toBe(409);

    // Only plaintext can be read; another organisation's cube does not exist for this caller.
    const kv = await bed.api(
      "POST",
      `/api/v1/cubes/${made.body.cube_id}/versions/1.0.0/kv-snapshot`,
      bed.publisherKey,
      {
        base_model: "memstore/tiny-llama",
        slug: "kv-of-kv",
        title: "nope",
      },
    );
    expect(kv.status).toBe(400);
    const other = await bed.organization("Elsewhere", "owner@elsewhere.example.com");
    const stranger = await bed.api("POST", `/api/v1/cubes/${source.id}/versions/1.0.0/kv-snapshot`, other, {
      base_model: "memstore/tiny-llama",
      slug: "stolen",
      title: "stolen",
    });
    expect(stranger.status).toBe(404);
  });
});

import { describe, expect, it } from "vitest";
import { DecoderModel, type KvCache } from "./decoder.ts";
import { decodeModel, editDecoder, linearSite } from "./onnx-graph.ts";
import { buildTinyDecoder, seededRandom } from "./testing/index.ts";
import {
  KV_TOLERANCE,
  type LoraModule,
  loraDelta,
  runKvValidation,
  runLoraValidation,
} from "./validation.ts";

const SHAPE = { layers: 2, kvHeads: 2, headDim: 8, vocabSize: 300 };
const tiny = buildTinyDecoder();
const PROMPT = Array.from({ length: 48 }, (_, i) => (i * 53 + 11) % 298);

const mapCache = (cache: KvCache, f: (v: Float32Array) => Float32Array): KvCache => ({
  tokens: cache.tokens,
  layers: cache.layers.map((l) => ({ key: f(l.key), value: f(l.value) })),
});

describe("KV validation run", () => {
  it("passes a snapshot the model made of its prompt, with TTFT measured both ways", async () => {
    const model = await DecoderModel.load(tiny.onnx, SHAPE);
    const { present } = await model.forward(PROMPT);
    const report = await runKvValidation(model, { ids: PROMPT, cache: present });
    expect(report.passed).toBe(true);
    expect(report.logits.relative).toBeLessThan(1e-5);
    expect(report.cache.max_abs_diff).toBeLessThan(1e-5);
    expect(report).toMatchObject({ provider: "cpu", tokens: 48, probe_tokens: 8, tolerance: KV_TOLERANCE });
    expect(report.ttft_ms.full_prompt).toBeGreaterThan(0);
    expect(report.ttft_ms.from_snapshot).toBeGreaterThan(0);
    expect(report.speedup).toBeCloseTo(report.ttft_ms.full_prompt / report.ttft_ms.from_snapshot, 1);
    await model.close();
  });

  it("passes a snapshot rounded to f16, and one perturbed by 0.2 % of its RMS", async () => {
    const model = await DecoderModel.load(tiny.onnx, SHAPE);
    const { present } = await model.forward(PROMPT);
    const f16 = mapCache(present, (v) => Float32Array.from(v, (x) => Math.fround(Number(x.toPrecision(3)))));
    expect((await runKvValidation(model, { ids: PROMPT, cache: f16 })).passed).toBe(true);
    const random = seededRandom(3);
    const noisy = mapCache(present, (v) => {
      const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
      return v.map((x) => x + (random() < 0.5 ? -1 : 1) * 0.002 * rms);
    });
    const report = await runKvValidation(model, { ids: PROMPT, cache: noisy });
    expect(report.passed).toBe(true);
    expect(report.logits.relative).toBeGreaterThan(0);
    await model.close();
  });

  it("fails a snapshot of another prompt, or of another model", async () => {
    const model = await DecoderModel.load(tiny.onnx, SHAPE);
    const other = await model.forward(PROMPT.map((t) => (t + 1) % 298));
    const wrongPrompt = await runKvValidation(model, { ids: PROMPT, cache: other.present });
    expect(wrongPrompt.passed).toBe(false);
    expect(wrongPrompt.cache.relative).toBeGreaterThan(KV_TOLERANCE);
    const otherModel = await DecoderModel.load(buildTinyDecoder(99).onnx, SHAPE);
    const foreign = await otherModel.forward(PROMPT);
    const report = await runKvValidation(model, { ids: PROMPT, cache: foreign.present });
    expect(report.passed).toBe(false);
    expect(report.logits.relative).toBeGreaterThan(KV_TOLERANCE);
    await Promise.all([model.close(), otherModel.close()]);
  });
});

function loraModule(module: string, out: number, inp: number, seed: number, zeroB = false): LoraModule {
  const random = seededRandom(seed);
  const rank = 4;
  const a = Float32Array.from({ length: rank * inp }, () => (random() - 0.5) * 0.4);
  const b = Float32Array.from({ length: out * rank }, () => (zeroB ? 0 : (random() - 0.5) * 0.4));
  return { module, rank, inFeatures: inp, outFeatures: out, scaling: 2, a, b };
}

describe("LoRA validation run", () => {
  const q = loraModule("model.layers.0.self_attn.q_proj", 32, 32, 1);
  const v = loraModule("model.layers.1.self_attn.v_proj", 16, 32, 2);

  it("merges the pack into the export's named weights: the layer computes (W + s·B·A)·x", async () => {
    const site = linearSite(decodeModel(tiny.onnx), `${q.module}.weight`);
    expect(site.layout).toBe("out_in");
    const merged = editDecoder(tiny.onnx, {
      deltas: new Map([[`${q.module}.weight`, loraDelta(q)]]),
      outputs: [site.input, site.output],
    });
    const model = await DecoderModel.load(merged, SHAPE);
    const { extra } = await model.forward([1, 2, 3]);
    const x = extra.get(site.input)!;
    const y = extra.get(site.output)!;
    const w = tiny.weights.get(`${q.module}.weight`)!.values;
    const delta = loraDelta(q);
    for (let t = 0; t < 3; t++) {
      for (let o = 0; o < 32; o++) {
        let s = 0;
        for (let i = 0; i < 32; i++) s += (w[o * 32 + i]! + delta[o * 32 + i]!) * x[t * 32 + i]!;
        expect(y[t * 32 + o]).toBeCloseTo(s, 4);
      }
    }
    await model.close();
  });

  it("reports the logit change, the KL and what each adapted module changes", async () => {
    const report = await runLoraValidation(tiny.onnx, SHAPE, [q, v]);
    expect(report).toMatchObject({ provider: "cpu", probes: 4, probe_tokens: 16, finite: true });
    expect(report.logits.mean_abs_change).toBeGreaterThan(0.001);
    expect(report.kl.mean).toBeGreaterThan(0);
    expect(report.kl.max).toBeGreaterThanOrEqual(report.kl.mean);
    expect(report.modules.map((m) => m.module)).toEqual([q.module, v.module]);
    for (const m of report.modules) expect(m.relative_change).toBeGreaterThan(0.01);
  });

  it("shows a module whose B is zero (an untrained adapter) as changing nothing", async () => {
    const untrained = loraModule("model.layers.1.mlp.down_proj", 32, 64, 5, true);
    const report = await runLoraValidation(tiny.onnx, SHAPE, [q, untrained]);
    expect(report.modules[1]).toEqual({ module: untrained.module, relative_change: 0 });
    expect(report.modules[0]!.relative_change).toBeGreaterThan(0.01);
  });

  it("names a module the export does not have", async () => {
    const ghost = { ...q, module: "model.layers.7.self_attn.q_proj" };
    await expect(runLoraValidation(tiny.onnx, SHAPE, [ghost])).rejects.toThrow(
      /no linear layer with the weight 'model.layers.7/,
    );
  });
});

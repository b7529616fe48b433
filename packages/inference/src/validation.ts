import { type DecoderShape } from "./decoder-interface.ts";
import { DecoderModel, type ExecutionProvider, type KvCache } from "./decoder.ts";
import { decodeModel, editDecoder, linearSite } from "./onnx-graph.ts";

/**
 * Validation runs of binary memory on its base model's ONNX export: what buyers are shown before
 * they pay. A KV snapshot must reproduce the prompt it was made from; a LoRA pack must change what
 * every module it adapts computes, and its merged model's outputs by a measured amount.
 */

/**
 * A snapshot (or a fingerprinted copy) passes when injecting it moves no logit and no cache entry by
 * more than 1 % of the largest magnitude the full run produced. bf16 rounding (2⁻⁹ relative) and the
 * 0.2 %-of-RMS copy fingerprint both stay well inside; a snapshot of another prompt or model does not.
 */
export const KV_TOLERANCE = 0.01;

/** Seeded probe prompts of token ids: the same for every run, so reports compare. */
export function probePrompts(vocabSize: number, count: number, length: number, seed = 0x5eed): number[][] {
  let x = seed >>> 0;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % vocabSize;
  };
  return Array.from({ length: count }, () => Array.from({ length }, next));
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // NaN wins: a NaN difference must not look like agreement
  }
  return m;
}
const round = (v: number, digits = 4) => Number(v.toPrecision(digits));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export type KvRunReport = {
  provider: ExecutionProvider;
  tokens: number;
  probe_tokens: number;
  tolerance: number;
  logits: { max_abs_diff: number; relative: number };
  cache: { max_abs_diff: number; relative: number };
  ttft_ms: { full_prompt: number; from_snapshot: number };
  speedup: number;
  passed: boolean;
};

/**
 * Runs the snapshot's prompt followed by a probe from scratch, and the probe alone on the snapshot
 * as `past_key_values`; compares the probe's logits and the recomputed cache with the snapshot, and
 * times both (median of `repeats`, after a warm-up): the time to first token with and without it.
 */
export async function runKvValidation(
  model: DecoderModel,
  snapshot: { ids: readonly number[]; cache: KvCache },
  options: { probe?: number[]; repeats?: number } = {},
): Promise<KvRunReport> {
  const { vocabSize, kvHeads, headDim } = model.shape;
  const probe = options.probe ?? probePrompts(vocabSize, 1, 8)[0]!;
  const prompt = [...snapshot.ids, ...probe];
  const repeats = options.repeats ?? 3;
  const fullTimes: number[] = [];
  const cachedTimes: number[] = [];
  let full = await model.forward(prompt);
  let cached = await model.forward(probe, snapshot.cache);
  for (let i = 0; i < repeats; i++) {
    full = await model.forward(prompt);
    fullTimes.push(full.ms);
    cached = await model.forward(probe, snapshot.cache);
    cachedTimes.push(cached.ms);
  }
  const reference = full.logits.subarray(snapshot.ids.length * vocabSize);
  const logitsDiff = maxAbsDiff(cached.logits, reference);
  let cacheDiff = 0;
  let cacheMax = 0;
  const tokens = snapshot.cache.tokens;
  const total = full.present.tokens;
  snapshot.cache.layers.forEach((layer, l) => {
    for (const side of ["key", "value"] as const) {
      const recomputed = full.present.layers[l]![side];
      for (let h = 0; h < kvHeads; h++) {
        const from = h * total * headDim;
        const mine = recomputed.subarray(from, from + tokens * headDim);
        const theirs = layer[side].subarray(h * tokens * headDim, (h + 1) * tokens * headDim);
        cacheDiff = Math.max(cacheDiff, maxAbsDiff(theirs, mine));
        cacheMax = Math.max(cacheMax, maxAbs(mine));
      }
    }
  });
  const logitsRelative = logitsDiff / (maxAbs(reference) || 1);
  const cacheRelative = cacheDiff / (cacheMax || 1);
  const ttft = { full_prompt: median(fullTimes), from_snapshot: median(cachedTimes) };
  return {
    provider: model.provider,
    tokens,
    probe_tokens: probe.length,
    tolerance: KV_TOLERANCE,
    logits: { max_abs_diff: round(logitsDiff), relative: round(logitsRelative) },
    cache: { max_abs_diff: round(cacheDiff), relative: round(cacheRelative) },
    ttft_ms: { full_prompt: round(ttft.full_prompt), from_snapshot: round(ttft.from_snapshot) },
    speedup: round(ttft.full_prompt / Math.max(ttft.from_snapshot, 1e-3), 3),
    passed: logitsRelative <= KV_TOLERANCE && cacheRelative <= KV_TOLERANCE,
  };
}

/** One adapted module of a LoRA pack: `a` is `[rank, in]`, `b` is `[out, rank]`, both row-major. */
export type LoraModule = {
  module: string;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  scaling: number;
  a: Float32Array;
  b: Float32Array;
};

/** scaling · B·A, `[out, in]` row-major: what merging adds to the module's weight. */
export function loraDelta(m: LoraModule): Float32Array {
  const delta = new Float32Array(m.outFeatures * m.inFeatures);
  for (let o = 0; o < m.outFeatures; o++) {
    for (let r = 0; r < m.rank; r++) {
      const bor = m.b[o * m.rank + r]! * m.scaling;
      if (bor === 0) continue;
      const row = o * m.inFeatures;
      const aRow = r * m.inFeatures;
      for (let i = 0; i < m.inFeatures; i++) delta[row + i]! += bor * m.a[aRow + i]!;
    }
  }
  return delta;
}

export type LoraRunReport = {
  provider: ExecutionProvider;
  probes: number;
  probe_tokens: number;
  /** Merged minus base logits over every probe position. */
  logits: { mean_abs_change: number; max_abs_change: number };
  /** KL(merged ‖ base) of the next-token distributions, in nats. */
  kl: { mean: number; max: number };
  /** ‖scaling·B·A·x‖ / ‖W·x‖ over the probes' inputs to each adapted module. */
  modules: { module: string; relative_change: number }[];
  finite: boolean;
  ms: { base: number; merged: number };
};

/**
 * Runs probe prompts through the base export and through the export with the pack merged in
 * (W + scaling·B·A on each adapted weight). The base run also exposes each adapted module's input
 * and output, so the change each module makes is measured where it happens.
 */
export async function runLoraValidation(
  onnx: Uint8Array,
  shape: DecoderShape,
  modules: readonly LoraModule[],
  options: { provider?: ExecutionProvider; probes?: number[][] } = {},
): Promise<LoraRunReport> {
  const provider = options.provider ?? "cpu";
  const probes = options.probes ?? probePrompts(shape.vocabSize, 4, 16);
  const graph = decodeModel(onnx);
  const sites = modules.map((m) => linearSite(graph, `${m.module}.weight`));
  const exposed = [...new Set(sites.flatMap((s) => [s.input, s.output]))];
  const base = await DecoderModel.load(editDecoder(onnx, { outputs: exposed }), shape, provider);
  const deltas = new Map(modules.map((m) => [`${m.module}.weight`, loraDelta(m)]));
  const merged = await DecoderModel.load(editDecoder(onnx, { deltas }), shape, provider);
  try {
    const change = modules.map(() => ({ delta: 0, output: 0 }));
    let absSum = 0;
    let absMax = 0;
    let klSum = 0;
    let klMax = 0;
    let positions = 0;
    let finite = true;
    const ms = { base: 0, merged: 0 };
    for (const probe of probes) {
      const b = await base.forward(probe);
      const m = await merged.forward(probe);
      ms.base += b.ms;
      ms.merged += m.ms;
      modules.forEach((mod, i) => {
        const x = b.extra.get(sites[i]!.input)!;
        const y = b.extra.get(sites[i]!.output)!;
        const moved = moduleChange(mod, x);
        change[i]!.delta += moved;
        for (const v of y) change[i]!.output += v * v;
      });
      for (let t = 0; t < probe.length; t++) {
        const row = t * shape.vocabSize;
        const p = b.logits.subarray(row, row + shape.vocabSize);
        const q = m.logits.subarray(row, row + shape.vocabSize);
        for (let k = 0; k < shape.vocabSize; k++) {
          const d = Math.abs(q[k]! - p[k]!);
          if (!Number.isFinite(q[k]!)) finite = false;
          absSum += d;
          absMax = Math.max(absMax, d);
        }
        const kl = klDivergence(q, p);
        klSum += kl;
        klMax = Math.max(klMax, kl);
        positions++;
      }
    }
    const cells = positions * shape.vocabSize;
    return {
      provider,
      probes: probes.length,
      probe_tokens: probes[0]?.length ?? 0,
      logits: { mean_abs_change: round(absSum / cells), max_abs_change: round(absMax) },
      kl: { mean: round(klSum / positions), max: round(klMax) },
      modules: modules.map((mod, i) => ({
        module: mod.module,
        relative_change: round(Math.sqrt(change[i]!.delta / (change[i]!.output || 1))),
      })),
      finite,
      ms: { base: round(ms.base), merged: round(ms.merged) },
    };
  } finally {
    await Promise.all([base.close(), merged.close()]);
  }
}

/** Σ over the probe's positions of ‖scaling·B·(A·x)‖² for the module's inputs `x` (`[tokens, in]`). */
function moduleChange(m: LoraModule, x: Float32Array): number {
  const tokens = x.length / m.inFeatures;
  const ax = new Float32Array(m.rank);
  let sum = 0;
  for (let t = 0; t < tokens; t++) {
    const xt = x.subarray(t * m.inFeatures, (t + 1) * m.inFeatures);
    for (let r = 0; r < m.rank; r++) {
      let s = 0;
      for (let i = 0; i < m.inFeatures; i++) s += m.a[r * m.inFeatures + i]! * xt[i]!;
      ax[r] = s;
    }
    for (let o = 0; o < m.outFeatures; o++) {
      let s = 0;
      for (let r = 0; r < m.rank; r++) s += m.b[o * m.rank + r]! * ax[r]!;
      sum += (s * m.scaling) ** 2;
    }
  }
  return sum;
}

/** KL(softmax(q) ‖ softmax(p)) for two rows of logits, computed stably. */
function klDivergence(q: Float32Array, p: Float32Array): number {
  const logSoftmax = (z: Float32Array) => {
    const top = Math.max(...z);
    const lse = top + Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0));
    return Float64Array.from(z, (v) => v - lse);
  };
  const lq = logSoftmax(q);
  const lp = logSoftmax(p);
  let kl = 0;
  for (let i = 0; i < lq.length; i++) kl += Math.exp(lq[i]!) * (lq[i]! - lp[i]!);
  return Math.max(0, kl);
}

/**
 * bench/kv-ttft: what a KV snapshot saves — time to first token of a question asked after a long
 * context, computed from scratch (context + question) versus from the context's cache injected as
 * `past_key_values` (question only), on the tiny decoder.
 *
 *   npm run bench:kv -- [--tokens 256,512,1024,2048] [--probe 16] [--rounds 20] [--provider cpu|cuda]
 *
 * For each context length: a warm-up of each, then `rounds` alternating runs of both; printed are
 * p50/p95 latency of each and the speedup (p50 from scratch / p50 from the snapshot), with the
 * largest logit difference between the two (they must agree). Results go to
 * bench/results/kv-ttft.{json,svg}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { DecoderModel, type ExecutionProvider, probePrompts } from "@memstore/inference";
import { buildTinyDecoder, TINY_DECODER_CONFIG as C } from "@memstore/inference/testing";
import { barChartSvg, summarise } from "./stats.ts";

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const lengths = String(args.tokens ?? "256,512,1024,2048")
  .split(",")
  .map(Number);
const probeTokens = Number(args.probe ?? 16);
const rounds = Number(args.rounds ?? 20);
const provider = (args.provider ?? "cpu") as ExecutionProvider;

const shape = {
  layers: C.num_hidden_layers,
  kvHeads: C.num_key_value_heads,
  headDim: C.head_dim,
  vocabSize: C.vocab_size,
};
const model = await DecoderModel.load(buildTinyDecoder().onnx, shape, provider);
const probe = probePrompts(C.vocab_size, 1, probeTokens, 7)[0]!;

const rows = [];
for (const tokens of lengths) {
  const context = probePrompts(C.vocab_size, 1, tokens, tokens)[0]!;
  const { present } = await model.forward(context);
  await model.forward([...context, ...probe]);
  await model.forward(probe, present);
  const scratch: number[] = [];
  const cached: number[] = [];
  let diff = 0;
  for (let r = 0; r < rounds; r++) {
    const full = await model.forward([...context, ...probe]);
    scratch.push(full.ms);
    const fromCache = await model.forward(probe, present);
    cached.push(fromCache.ms);
    if (r === 0) {
      const reference = full.logits.subarray(tokens * C.vocab_size);
      for (let i = 0; i < reference.length; i++)
        diff = Math.max(diff, Math.abs(reference[i]! - fromCache.logits[i]!));
    }
  }
  const a = summarise(scratch);
  const b = summarise(cached);
  rows.push({
    context_tokens: tokens,
    from_scratch_ms: { p50: a.p50, p95: a.p95 },
    from_snapshot_ms: { p50: b.p50, p95: b.p95 },
    speedup: a.p50 / b.p50,
    max_logit_diff: diff,
  });
}
await model.close();

console.log(
  `bench/kv-ttft: tiny-llama (${shape.layers} layers, ${C.hidden_size} hidden, GQA ${C.num_attention_heads}/${shape.kvHeads}) on ${provider}, a ${probeTokens}-token question, ${rounds} rounds\n`,
);
console.log("context   from scratch p50/p95 ms   from snapshot p50/p95 ms   speedup   max |Δlogit|");
for (const r of rows) {
  console.log(
    `${String(r.context_tokens).padStart(7)}   ${r.from_scratch_ms.p50.toFixed(2).padStart(9)} / ${r.from_scratch_ms.p95.toFixed(2).padEnd(9)}   ${r.from_snapshot_ms.p50.toFixed(2).padStart(10)} / ${r.from_snapshot_ms.p95.toFixed(2).padEnd(10)}   ${r.speedup.toFixed(1).padStart(6)}×   ${r.max_logit_diff.toExponential(1)}`,
  );
}

const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("kv-ttft.json", out),
  JSON.stringify({ provider, probe_tokens: probeTokens, rounds, rows }, null, 2),
);
writeFileSync(
  new URL("kv-ttft.svg", out),
  barChartSvg(
    `time to first token after a context, tiny-llama on ${provider} (ms, p50)`,
    "ms",
    rows.map((r) => ({
      label: `${r.context_tokens} tokens`,
      bars: { "from scratch": r.from_scratch_ms.p50, "from KV snapshot": r.from_snapshot_ms.p50 },
    })),
  ),
);

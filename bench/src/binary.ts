/**
 * bench/binary: streaming work on binary payloads, one core.
 *
 *   npm run bench:binary -- [--mb 1024]
 *
 * A safetensors file of `--mb` megabytes of F32 weights (generated, in 1 MiB chunks: nothing holds
 * the whole file) is streamed through dtype conversion to F16 and to BF16, and, as the baseline in
 * the same process, through the same reader and writer with no conversion. Printed: GB/s of input
 * for each, the ratio to the baseline, and the process's peak RSS after each run (flat memory means
 * the peak does not grow with the file).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { convertSafetensors, type FloatDtype, writeSafetensors } from "@memstore/formats";
import { barChartSvg } from "./stats.ts";

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1] ?? ""]] : [])),
);
const megabytes = Number(args.mb ?? 1024);
const CHUNK = 1 << 20;
const elements = (megabytes * CHUNK) / 4;

/** The source file, generated chunk by chunk: four tensors of seeded pseudo-random weights. */
function source(): AsyncGenerator<Uint8Array> {
  const perTensor = elements / 4;
  const tensors = [0, 1, 2, 3].map((i) => ({
    name: `model.layers.${i}.mlp.down_proj.weight`,
    dtype: "F32" as const,
    shape: [perTensor / 1024, 1024],
    data: (async function* () {
      let seed = 7 + i;
      for (let left = perTensor * 4; left > 0; left -= CHUNK) {
        const values = new Float32Array(Math.min(CHUNK, left) / 4);
        for (let j = 0; j < values.length; j++) {
          seed = (seed * 1664525 + 1013904223) >>> 0;
          values[j] = (seed / 2 ** 32 - 0.5) * 0.02;
        }
        yield new Uint8Array(values.buffer);
      }
    })(),
  }));
  return writeSafetensors(tensors);
}

async function run(to: FloatDtype) {
  const start = performance.now();
  let out = 0;
  for await (const chunk of convertSafetensors(source(), null, to)) out += chunk.length;
  const seconds = (performance.now() - start) / 1000;
  return { to, seconds, gb_s: (elements * 4) / 1e9 / seconds, out_bytes: out, peak_rss_mb: peakRss() };
}

const peakRss = () => process.resourceUsage().maxRSS / 1024;

// The generator's cost is in every run, the baseline's included, so the ratios compare conversion.
const baseline = await run("F32");
const f16 = await run("F16");
const bf16 = await run("BF16");
const results = {
  megabytes,
  baseline,
  runs: [f16, bf16].map((r) => ({ ...r, ratio_to_baseline: r.gb_s / baseline.gb_s })),
};

console.log(`bench/binary: ${megabytes} MB of F32 weights, streamed in 1 MiB chunks\n`);
console.log("run                 GB/s   vs baseline   peak RSS");
for (const r of [{ ...baseline, ratio_to_baseline: 1 }, ...results.runs]) {
  console.log(
    `${`F32 → ${r.to}`.padEnd(18)}  ${r.gb_s.toFixed(3).padStart(5)}   ${r.ratio_to_baseline.toFixed(2).padStart(8)}×   ${r.peak_rss_mb.toFixed(0)} MB`,
  );
}

const out = new URL("../results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("binary.json", out), JSON.stringify(results, null, 2));
writeFileSync(
  new URL("binary.svg", out),
  barChartSvg(
    "dtype conversion, streamed (GB/s of F32 input, one core)",
    "GB/s",
    [{ ...baseline, ratio_to_baseline: 1 }, ...results.runs].map((r) => ({
      label: `F32 → ${r.to}`,
      bars: { "GB/s": r.gb_s },
    })),
  ),
);

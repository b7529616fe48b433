import { mkdirSync, writeFileSync } from "node:fs";
import { barChartSvg, type summarise } from "./stats.ts";

type Stats = ReturnType<typeof summarise>;

/** bench/search's tables and plots: one row per size, the ef_search sweep, search.{json,svg}, search-ef.svg. */
export function reportSearch(
  results: Array<{
    chunks: number;
    data: string;
    load: string;
    ingest_rows_per_s: number | null;
    index_build_s: number | null;
    vector_ms: Stats;
    hybrid_ms: Stats;
    recall_at_10: number;
    planners_choice_ms: Stats;
    planners_choice_recall_at_10: number;
    ef_sweep: Array<{ ef_search: number; ms: Stats; recall_at_10: number }>;
  }>,
) {
  const fmt = (x: number) => x.toFixed(2);
  console.log(
    "\nchunks     data       load         ingest/s  index build s  vector p50/p95/p99 ms     hybrid p50/p95/p99 ms     recall@10  | before: planner's plan p50/p95 ms, recall@10",
  );
  for (const r of results) {
    console.log(
      `${String(r.chunks).padEnd(10)} ${r.data.padEnd(10)} ${r.load.padEnd(12)} ${String(r.ingest_rows_per_s ?? "-").padEnd(9)} ${(r.index_build_s?.toFixed(1) ?? "-").padEnd(14)} ${[r.vector_ms.p50, r.vector_ms.p95, r.vector_ms.p99].map(fmt).join(" / ").padEnd(25)} ${[r.hybrid_ms.p50, r.hybrid_ms.p95, r.hybrid_ms.p99].map(fmt).join(" / ").padEnd(25)} ${r.recall_at_10.toFixed(3)}      | ${fmt(r.planners_choice_ms.p50)} / ${fmt(r.planners_choice_ms.p95)}, ${r.planners_choice_recall_at_10.toFixed(3)}`,
    );
  }
  console.log(
    "\nbare HNSW query, ef_search sweep\nchunks     ef_search  p50 ms   p95 ms   p99 ms   recall@10",
  );
  for (const r of results) {
    for (const e of r.ef_sweep) {
      console.log(
        `${String(r.chunks).padEnd(10)} ${String(e.ef_search).padEnd(10)} ${fmt(e.ms.p50).padEnd(8)} ${fmt(e.ms.p95).padEnd(8)} ${fmt(e.ms.p99).padEnd(8)} ${e.recall_at_10.toFixed(3)}`,
      );
    }
  }
  const out = new URL("../results/", import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    new URL("search.json", out),
    JSON.stringify({ date: new Date().toISOString(), results }, null, 2),
  );
  writeFileSync(
    new URL("search-ef.svg", out),
    barChartSvg(
      "HNSW ef_search sweep: p95 latency (ms) and recall@10 (x100)",
      "",
      results.flatMap((r) =>
        r.ef_sweep.map((e) => ({
          label: `${r.chunks / 1000}k ef=${e.ef_search}`,
          bars: { "p95 ms": e.ms.p95, "recall@10 x100": e.recall_at_10 * 100 },
        })),
      ),
    ),
  );
  writeFileSync(
    new URL("search.svg", out),
    barChartSvg(
      "Vault search latency, server-side (ms)",
      "ms",
      results.flatMap((r) => [
        {
          label: `${r.chunks / 1000}k vector`,
          bars: { p50: r.vector_ms.p50, p95: r.vector_ms.p95, p99: r.vector_ms.p99 },
        },
        {
          label: `${r.chunks / 1000}k hybrid`,
          bars: { p50: r.hybrid_ms.p50, p95: r.hybrid_ms.p95, p99: r.hybrid_ms.p99 },
        },
        {
          label: `${r.chunks / 1000}k before`,
          bars: {
            p50: r.planners_choice_ms.p50,
            p95: r.planners_choice_ms.p95,
            p99: r.planners_choice_ms.p99,
          },
        },
      ]),
    ),
  );
}

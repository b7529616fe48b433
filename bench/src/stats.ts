import { cpus } from "node:os";
/** Percentiles and a small SVG chart, so figures can be compared at a glance. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarise(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** A bar chart of named series (e.g. p50/p95/p99 per dataset size), as standalone SVG. */
export function barChartSvg(
  title: string,
  unit: string,
  groups: Array<{ label: string; bars: Record<string, number> }>,
): string {
  const names = [...new Set(groups.flatMap((g) => Object.keys(g.bars)))];
  const max = Math.max(...groups.flatMap((g) => Object.values(g.bars))) * 1.15 || 1;
  const colors = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b"];
  const barW = 36;
  const groupW = names.length * barW + 40;
  const width = 80 + groups.length * groupW;
  const height = 320;
  const y = (v: number) => 270 - (v / max) * 230;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15">${title}</text>`,
    `<line x1="60" y1="270" x2="${width - 10}" y2="270" stroke="#333"/>`,
  ];
  groups.forEach((g, gi) => {
    const x0 = 70 + gi * groupW;
    names.forEach((name, ni) => {
      const v = g.bars[name] ?? 0;
      const x = x0 + ni * barW;
      parts.push(
        `<rect x="${x}" y="${y(v)}" width="${barW - 6}" height="${270 - y(v)}" fill="${colors[ni % colors.length]}"/>`,
      );
      parts.push(
        `<text x="${x + (barW - 6) / 2}" y="${y(v) - 4}" text-anchor="middle">${v.toFixed(v < 10 ? 2 : 1)}</text>`,
      );
    });
    parts.push(`<text x="${x0 + (names.length * barW) / 2}" y="290" text-anchor="middle">${g.label}</text>`);
  });
  names.forEach((name, ni) => {
    parts.push(
      `<rect x="${width - 150}" y="${30 + ni * 16}" width="10" height="10" fill="${colors[ni % colors.length]}"/>`,
    );
    parts.push(`<text x="${width - 135}" y="${39 + ni * 16}">${unit ? `${name} (${unit})` : name}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Milliseconds all cores have spent busy since boot. */
export function machineBusyMs(): number {
  return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

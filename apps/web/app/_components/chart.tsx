const COLORS = ["#3b4fd8", "#f58518", "#17804a", "#b42318", "#7a5af8", "#0e7490"];

/**
 * Daily series as an SVG line chart with a legend, and the same numbers as a table for screen
 * readers (and anyone who wants the exact figures).
 */
export function DailyChart(props: {
  title: string;
  days: string[];
  series: Array<{ name: string; values: number[] }>;
  unit: string;
  /** How a value reads on the axis and in the table (money: its currency's major units). */
  format?: (value: number) => string;
}) {
  const format = props.format ?? String;
  const width = 720;
  const height = 220;
  const pad = { left: props.format ? 64 : 40, right: 12, top: 12, bottom: 28 };
  const max = Math.max(1, ...props.series.flatMap((s) => s.values));
  const x = (i: number) =>
    pad.left + (i / Math.max(1, props.days.length - 1)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const ticks = [...new Set([0, Math.round(max / 2), max])];
  return (
    <figure className="card" style={{ margin: 0 }}>
      <figcaption className="spread" style={{ marginBottom: "0.5rem" }}>
        <strong>{props.title}</strong>
        <span className="row small">
          {props.series.map((s, i) => (
            <span key={s.name} className="row" style={{ gap: "0.3rem" }}>
              <span
                aria-hidden
                style={{ width: 10, height: 10, borderRadius: 2, background: COLORS[i % COLORS.length] }}
              />
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={props.title}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} stroke="#e3e6ec" />
            <text x={pad.left - 6} y={y(t) + 4} fontSize="11" textAnchor="end" fill="#5b6474">
              {format(t)}
            </text>
          </g>
        ))}
        {props.days.map((d, i) =>
          i % Math.ceil(props.days.length / 6) === 0 ? (
            <text key={d} x={x(i)} y={height - 8} fontSize="11" textAnchor="middle" fill="#5b6474">
              {d.slice(5)}
            </text>
          ) : null,
        )}
        {props.series.map((s, si) => (
          <polyline
            key={s.name}
            fill="none"
            stroke={COLORS[si % COLORS.length]}
            strokeWidth="2"
            points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ")}
          />
        ))}
      </svg>
      <details className="small">
        <summary>Figures</summary>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Day</th>
                {props.series.map((s) => (
                  <th key={s.name}>
                    {s.name} ({props.unit})
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.days.map((d, i) => (
                <tr key={d}>
                  <td>{d}</td>
                  {props.series.map((s) => (
                    <td key={s.name}>{format(s.values[i] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

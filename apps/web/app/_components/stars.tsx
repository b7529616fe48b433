/** A rating of 1–5 as five stars, the filled ones first; read out as "4.5 out of 5". */
export function Stars({ value }: { value: number }) {
  const filled = Math.round(value);
  return (
    <span className="stars" role="img" aria-label={`${value} out of 5`} title={`${value} out of 5`}>
      {"★".repeat(filled)}
      <span className="muted">{"☆".repeat(5 - filled)}</span>
    </span>
  );
}

/** A listing's or a publisher's rating in a line: "★★★★☆ 4.0 (3)", or "no reviews yet". */
export function RatingLine({ rating }: { rating: { average: number | null; count: number } }) {
  if (rating.average === null) return <span data-testid="rating-line">no reviews yet</span>;
  return (
    <span data-testid="rating-line">
      <Stars value={rating.average} /> {rating.average.toFixed(1)} ({rating.count})
    </span>
  );
}

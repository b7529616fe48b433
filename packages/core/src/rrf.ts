/**
 * Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ 1 / (k + rank_i(d)), ranks from 1.
 * Robust to the incomparable score scales of cosine distance and ts_rank.
 */
export const RRF_K = 60;

export type Ranked<T> = { key: string; item: T };

export function fuseByReciprocalRank<T>(
  lists: ReadonlyArray<ReadonlyArray<Ranked<T>>>,
  k = RRF_K,
): Array<{ key: string; item: T; score: number }> {
  const fused = new Map<string, { key: string; item: T; score: number; best: number }>();
  for (const list of lists) {
    list.forEach((entry, index) => {
      const contribution = 1 / (k + index + 1);
      const seen = fused.get(entry.key);
      if (seen) {
        seen.score += contribution;
        seen.best = Math.min(seen.best, index);
      } else {
        fused.set(entry.key, { key: entry.key, item: entry.item, score: contribution, best: index });
      }
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.best - b.best || a.key.localeCompare(b.key))
    .map(({ key, item, score }) => ({ key, item, score }));
}

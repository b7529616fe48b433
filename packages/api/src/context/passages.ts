/**
 * Choosing a context's passages from a search's ranked candidates: near-duplicates dropped (the same
 * passage from two versions of a pack, an own memory that repeats a cube's text) and the rest in
 * maximal-marginal-relevance order — each next passage the one that best balances its relevance
 * against its likeness to those already chosen (`diversity` 0: relevance alone; 1: novelty first).
 *
 * Likeness is lexical, on the stored text (never the fingerprinted copy): near-duplicates by their
 * word 3-shingles (Jaccard ≥ 0.6, or ≥ 0.8 of the shorter's shingles inside the longer), novelty by
 * the cosine of their word sets. Both are cheap enough to run on every context, whatever embedder
 * the server uses.
 */

export const NEAR_DUPLICATE_JACCARD = 0.6;
export const NEAR_DUPLICATE_CONTAINMENT = 0.8;

export type Candidate<T> = { item: T; text: string; score: number };

type Profiled<T> = Candidate<T> & { words: Set<number>; shingles: Set<number>; relevance: number };

const STOPWORDS = new Set(
  "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split(
    " ",
  ),
);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A text's words, lower case, accents and punctuation gone. */
export function normalisedWords(text: string): string[] {
  return (
    text
      .normalize("NFKD")
      .replace(/\p{Mn}/gu, "")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

function profile<T>(c: Candidate<T>, top: number): Profiled<T> {
  const words = normalisedWords(c.text);
  const shingles = new Set<number>();
  if (words.length < 3) shingles.add(fnv1a(words.join(" ")));
  for (let i = 0; i + 3 <= words.length; i++)
    shingles.add(fnv1a(`${words[i]} ${words[i + 1]} ${words[i + 2]}`));
  return {
    ...c,
    words: new Set(words.filter((w) => !STOPWORDS.has(w)).map(fnv1a)),
    shingles,
    relevance: top > 0 ? c.score / top : 0,
  };
}

function overlap(a: Set<number>, b: Set<number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let n = 0;
  for (const x of small) if (large.has(x)) n++;
  return n;
}

/** Whether two passages say the same thing: one copied from the other, perhaps lightly edited. */
function nearDuplicate(a: Profiled<unknown>, b: Profiled<unknown>): boolean {
  if (a.shingles.size === 0 || b.shingles.size === 0) return a.text.trim() === b.text.trim();
  const shared = overlap(a.shingles, b.shingles);
  const jaccard = shared / (a.shingles.size + b.shingles.size - shared);
  return (
    jaccard >= NEAR_DUPLICATE_JACCARD ||
    shared / Math.min(a.shingles.size, b.shingles.size) >= NEAR_DUPLICATE_CONTAINMENT
  );
}

function likeness(a: Profiled<unknown>, b: Profiled<unknown>): number {
  if (a.words.size === 0 || b.words.size === 0) return 0;
  return overlap(a.words, b.words) / Math.sqrt(a.words.size * b.words.size);
}

/**
 * The candidates (best first) in the order a context takes them, lazily: each step picks by maximal
 * marginal relevance among those left, and a pick that near-duplicates one already given is dropped
 * (counted in `duplicates`) instead. Stop pulling when the budget is full: the work done is the
 * passages taken times the candidates.
 */
export class PassageChooser<T> {
  private readonly left: Profiled<T>[];
  private readonly given: Profiled<T>[] = [];
  /** Each candidate left's greatest likeness to a passage given. */
  private readonly nearest: number[];
  duplicates = 0;

  constructor(
    candidates: readonly Candidate<T>[],
    private readonly diversity: number,
  ) {
    const top = Math.max(0, ...candidates.map((c) => c.score));
    this.left = candidates.map((c) => profile(c, top));
    this.nearest = this.left.map(() => 0);
  }

  /** The next passage, or null when none is left. */
  next(): Candidate<T> | null {
    for (;;) {
      const at = this.best();
      if (at < 0) return null;
      const [picked] = this.left.splice(at, 1);
      this.nearest.splice(at, 1);
      if (this.given.some((g) => nearDuplicate(g, picked!))) {
        this.duplicates++;
        continue;
      }
      this.given.push(picked!);
      if (this.diversity > 0)
        this.left.forEach((c, i) => (this.nearest[i] = Math.max(this.nearest[i]!, likeness(c, picked!))));
      return { item: picked!.item, text: picked!.text, score: picked!.score };
    }
  }

  private best(): number {
    let at = -1;
    let best = -Infinity;
    this.left.forEach((c, i) => {
      const value = (1 - this.diversity) * c.relevance - this.diversity * this.nearest[i]!;
      if (value > best) [best, at] = [value, i];
    });
    return at;
  }
}

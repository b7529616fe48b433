import { fnv1a, STOPWORDS, wordsOf } from "@memstore/inference";
import { remembered } from "./remembered.ts";

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

/** Sets of hashed words or shingles, as sorted arrays: intersections merge them in one pass. */
type HashSet = Uint32Array;
type Profiled<T> = Candidate<T> & { words: HashSet; shingles: HashSet; relevance: number };

const hashSet = (values: number[]): HashSet => {
  const sorted = Uint32Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
};

/** A text's word and shingle sets, for the most recent texts chosen from. */
const setsOf = remembered(10_000, wordSets);

function profile<T>(c: Candidate<T>, scores: { low: number; high: number }): Profiled<T> {
  return {
    ...c,
    ...setsOf(c.text),
    relevance: scores.high > scores.low ? (c.score - scores.low) / (scores.high - scores.low) : 1,
  };
}

function wordSets(text: string) {
  const words = wordsOf(text);
  const hashed = words.map(fnv1a);
  const shingles: number[] = words.length < 3 ? [fnv1a(words.join(" "))] : [];
  // A shingle's hash from its three words' hashes, in order.
  for (let i = 0; i + 3 <= words.length; i++)
    shingles.push(
      (Math.imul(hashed[i]!, 0x9e3779b1) ^ Math.imul(hashed[i + 1]!, 0x85ebca6b) ^ hashed[i + 2]!) >>> 0,
    );
  return {
    words: hashSet(hashed.filter((_, i) => !STOPWORDS.has(words[i]!))),
    shingles: hashSet(shingles),
  };
}

/** How many values two sets share. */
function overlap(a: HashSet, b: HashSet): number {
  let n = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      n++;
      i++;
      j++;
    }
  }
  return n;
}

/** Whether two passages say the same thing: one copied from the other, perhaps lightly edited. */
function nearDuplicate(a: Profiled<unknown>, b: Profiled<unknown>): boolean {
  if (a.shingles.length === 0 || b.shingles.length === 0) return a.text.trim() === b.text.trim();
  const shared = overlap(a.shingles, b.shingles);
  const jaccard = shared / (a.shingles.length + b.shingles.length - shared);
  return (
    jaccard >= NEAR_DUPLICATE_JACCARD ||
    shared / Math.min(a.shingles.length, b.shingles.length) >= NEAR_DUPLICATE_CONTAINMENT
  );
}

function likeness(a: Profiled<unknown>, b: Profiled<unknown>): number {
  if (a.words.length === 0 || b.words.length === 0) return 0;
  return overlap(a.words, b.words) / Math.sqrt(a.words.length * b.words.length);
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
    // Relevance spans 0 to 1 over the candidates: fused rank scores sit close together, and only
    // spread out can they weigh against likeness.
    const scores = candidates.map((c) => c.score);
    const range = { low: Math.min(...scores), high: Math.max(...scores) };
    this.left = candidates.map((c) => profile(c, range));
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

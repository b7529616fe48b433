import { type Embedder, l2Normalise } from "./embedder.ts";

/**
 * The built-in embedder used when no model is configured: signed feature hashing of words, word
 * bigrams and character trigrams. Deterministic, dependency-free and fast; it captures lexical
 * and sub-word overlap (plurals, typos, shared stems), not meaning — configure
 * EMBEDDING_MODEL_DIR for a real sentence-embedding model.
 */
/** Words too common to say what a text is about: weighed lightly here, left out of likeness elsewhere. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split(
    " ",
  ),
);

export class HashEmbedder implements Embedder {
  readonly model: string;

  constructor(readonly dimension = 384) {
    this.model = `hash-ngram-v1-${dimension}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimension);
    const words = wordsOf(text);
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      vector[h % this.dimension]! += (h & 0x80000000 ? -1 : 1) * weight;
    };
    words.forEach((word, i) => {
      const weight = STOPWORDS.has(word) ? 0.15 : 1;
      add(`w:${word}`, weight);
      if (i > 0) add(`b:${words[i - 1]} ${word}`, 0.5 * weight);
      const padded = `^${word}$`;
      for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.35 * weight);
    });
    return l2Normalise(vector);
  }

  async close(): Promise<void> {}
}

export function wordsOf(text: string): string[] {
  return (
    text
      .normalize("NFKD")
      .replace(/\p{Mn}/gu, "")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** FNV-1a of a string's UTF-16 code units, as an unsigned 32-bit number. */
export function fnv1a(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

import { createHmac } from "node:crypto";

/**
 * Per-subscriber text fingerprints. Each organisation's copy of a cube version has a secret 24-bit
 * code (HMAC of the platform secret). Served text carries single invisible characters at word ends
 * (after a letter, before whitespace, outside code); the character at a word end is one of three,
 * chosen by the code and the two words before it. So a mark says nothing by itself, but a reader
 * that knows a candidate copy's code can check every mark an excerpt holds against it, whatever the
 * excerpt's offset, and in whatever order chunks were pasted together.
 *
 * Each mark costs an agent one token (o200k_base and cl100k_base: these three characters are one
 * token each, and never merge with the word before). Density is the publisher's choice per listing:
 * `dense` marks every word end (a 200-character excerpt names its copy), `light` one in
 * `LIGHT_SPACING` (about 1.05× the clean tokens; a 1,000-character excerpt names its copy),
 * `off` none (canary facts still trace a paraphrase).
 */
// Zero-width space, zero-width non-joiner, variation selector 16, and the left-to-right mark — which
// is left out after a right-to-left letter, where it could turn neutral characters around it.
export const MARKS = ["\u200b", "\u200c", "\ufe0f", "\u200e"] as const;
const RTL_LETTER =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}\p{Script=Samaritan}\p{Script=Mandaic}]$/u;
/** How many marks may follow a word: three after a right-to-left letter, four after any other. */
const alphabetAfter = (word: string) => (RTL_LETTER.test(word) ? 3 : 4);
/** A listing's choice (MARK_DENSITIES of @memstore/core). */
export type MarkDensity = "off" | "light" | "dense";
/** Eligible word ends per mark at each density. */
export const LIGHT_SPACING = 8;
const SPACING: Record<Exclude<MarkDensity, "off">, number> = { light: LIGHT_SPACING, dense: 1 };

// The marks as alternations, not a character class: VS16 is a combining mark, and a class holding
// it reads as a joined sequence (eslint no-misleading-character-class). A mark is only ever one after
// a letter and before whitespace: the same characters elsewhere (an emoji's VS16, Thai word breaks)
// are the publisher's text and stay.
const MARK = "(?:\u200b|\u200c|\ufe0f|\u200e)";
const MARK_RUN = new RegExp(`(?<=\\p{L})${MARK}+(?=\\s|$)`, "gu");
// Words, and runs of marks, in one pass: a reader needs the two words before each mark.
const WORD_OR_MARKS = new RegExp(`[\\p{L}\\p{N}]+|${MARK}+(?=\\s|$)`, "gu");
// Code is copied and run: fenced blocks and inline spans are left as they are.
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]+`/g;

export const CODE_BITS = 24;

/** The fingerprint code of an organisation's copy of a cube version. */
export function fingerprintCode(secret: Buffer | string, orgId: string, versionId: string): number {
  const mac = createHmac("sha256", secret).update(`text-fingerprint\0${orgId}\0${versionId}`).digest();
  return mac.readUIntBE(0, 3);
}

/** murmur3's finaliser: every input bit moves every output bit. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over the two words before a word end, lower-cased: what a mark is keyed to. */
function contextOf(previous: string, word: string): number {
  let h = 0x811c9dc5;
  for (const text of [previous, word]) {
    const lower = text.toLowerCase();
    for (let i = 0; i < lower.length; i++) h = Math.imul(h ^ lower.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x20, 0x01000193);
  }
  return h >>> 0;
}

/** The mark a copy with this code carries at a word end with this context, of `alphabet` marks. */
export function symbolOf(code: number, context: number, alphabet: number): number {
  return mix(context ^ mix(code ^ 0x9e3779b9)) % alphabet;
}

/** Removes every fingerprint mark (and so any code) from a text. */
export function stripMarks(text: string): string {
  return text.replace(MARK_RUN, "");
}

/** A markable word end: the word and the one before it (its context, worked out when a mark needs it). */
type WordEnd = { end: number; previous: string; word: string };

/** The markable word ends of a text: those ending in a letter before whitespace, outside code. */
function markableEnds(text: string): WordEnd[] {
  const code: Array<[number, number]> = [...text.matchAll(CODE)].map((m) => [m.index, m.index + m[0].length]);
  const ends: WordEnd[] = [];
  let previous = "";
  let span = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const end = m.index + m[0].length;
    while (span < code.length && code[span]![1] <= m.index) span++;
    const inCode = span < code.length && code[span]![0] <= m.index;
    if (!inCode && /\p{L}$/u.test(m[0]) && (end === text.length || /\s/.test(text[end]!)))
      ends.push({ end, previous, word: m[0] });
    previous = m[0];
  }
  return ends;
}

/**
 * The text with the code written at its word ends at the given density. Marks already in the text
 * (another copy's) are removed first, so a text never carries two codes of ours. Marking is
 * deterministic: the same copy of the same text is always served the same bytes.
 */
export function embedFingerprint(text: string, code: number, density: MarkDensity = "light"): string {
  if (code < 0 || code >= 2 ** CODE_BITS || !Number.isInteger(code)) {
    throw new RangeError(`a fingerprint code is a ${CODE_BITS}-bit integer`);
  }
  const clean = stripMarks(text);
  if (density === "off") return clean;
  const candidates = markableEnds(clean);
  if (candidates.length === 0) return clean;
  // Light marks go one in `spacing` word ends, starting at an offset of the text's own, and skip a
  // context already marked in this text (a repeat is no new evidence, only a token more).
  const spacing = Math.min(SPACING[density], candidates.length);
  let wait = contextOf(candidates[0]!.previous, candidates[0]!.word) % spacing;
  const used = new Set<number>();
  let out = "";
  let at = 0;
  for (const end of candidates) {
    if (wait > 0) {
      wait--;
      continue;
    }
    const context = contextOf(end.previous, end.word);
    if (spacing > 1 && used.has(context)) continue;
    used.add(context);
    wait = spacing - 1;
    out += clean.slice(at, end.end) + MARKS[symbolOf(code, context, alphabetAfter(end.word))]!;
    at = end.end;
  }
  return out + clean.slice(at);
}

/** One mark as read: the context it sits at and the character found there. */
export type ReadMark = { context: number; symbol: number; alphabet: number };

export type FingerprintReading = {
  /** Whether the text holds any of our invisible marks at all. */
  marked: boolean;
  /** The distinct marks read (a context with two different marks — copies mixed — holds both). */
  marks: ReadMark[];
};

/**
 * The marks a text carries, each with the context of the two words before it. Whitespace, line
 * breaks and case may have changed; the text may be an excerpt, or excerpts of several copies pasted
 * together. The first word of an excerpt may be cut, so its marks can read wrong: `matchFingerprint`
 * weighs agreement, it does not need all of it.
 */
export function readFingerprints(text: string): FingerprintReading {
  const marks = new Map<string, ReadMark>();
  let previous = "";
  let word = "";
  // Where the last word ended, when it ended in a letter: a mark is read only right there.
  let letterEnd = -1;
  for (const m of text.matchAll(WORD_OR_MARKS)) {
    const token = m[0];
    const symbol = MARKS.indexOf(token[0] as (typeof MARKS)[number]);
    if (symbol === -1) {
      previous = word;
      word = token;
      letterEnd = /\p{L}$/u.test(token) ? m.index + token.length : -1;
      continue;
    }
    // One mark after a letter; a run of several is not ours to read.
    if (m.index !== letterEnd || token.length !== 1) continue;
    const context = contextOf(previous, word);
    marks.set(`${context}:${symbol}`, { context, symbol, alphabet: alphabetAfter(word) });
  }
  return { marked: marks.size > 0, marks: [...marks.values()] };
}

export type FingerprintMatch = {
  /** Distinct word ends read. */
  marks: number;
  /** Of them, those carrying the mark this code puts there. */
  agreeing: number;
  /**
   * The chance that a copy with some other code agrees at least as often: 1 in 4 per mark, or 1 in 3
   * when any mark follows a right-to-left letter (taken for all, so the chance is never understated).
   */
  chance: number;
};

/** How well a text's marks agree with one copy's code. */
export function matchFingerprint(reading: FingerprintReading, code: number): FingerprintMatch {
  const agreeing = new Set<number>();
  const contexts = new Set<number>();
  let alphabet: number = MARKS.length;
  for (const mark of reading.marks) {
    contexts.add(mark.context);
    alphabet = Math.min(alphabet, mark.alphabet);
    if (symbolOf(code, mark.context, mark.alphabet) === mark.symbol) agreeing.add(mark.context);
  }
  const marks = contexts.size;
  return { marks, agreeing: agreeing.size, chance: binomialTail(marks, agreeing.size, 1 / alphabet) };
}

/** P(X ≥ k) for X ~ Binomial(n, p), in logs so that long texts neither underflow nor round to 1. */
function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let logTerm = k * Math.log(p) + (n - k) * Math.log(1 - p); // ln P(X = k)
  for (let j = 0; j < k; j++) logTerm += Math.log((n - j) / (j + 1));
  // P(X ≥ k) = P(X = k)·(1 + r₁ + r₁r₂ + …), each ratio P(X = i + 1)/P(X = i).
  let sum = 1;
  let ratio = 1;
  for (let i = k; i < n && ratio > 1e-17 * sum; i++) {
    ratio *= ((n - i) / (i + 1)) * (p / (1 - p));
    sum += ratio;
  }
  return Math.min(1, Math.exp(logTerm) * sum);
}

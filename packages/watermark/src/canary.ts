import { createHmac } from "node:crypto";
import { stripMarks } from "./fingerprint.ts";

/**
 * Canary facts: a few synthetic statements unique to one install, woven into the text served to it.
 * Invisible marks do not survive a model's paraphrase or a retyped copy; an invented name does. Each
 * canary names a made-up term (two invented words, about 40 bits between them) that exists nowhere
 * but in that install's copy, so finding the term in a leaked text names the install.
 *
 * Everything derives from a per-install key: nothing is stored, and tracing recomputes the terms of
 * every candidate install.
 */
export type Canary = { term: string; text: string };

export const CANARIES_PER_INSTALL = 3;
/** About one served chunk in four carries one of the install's canaries. */
const CARRY_RATE = 64; // of 256

const ONSETS = [
  "b",
  "br",
  "d",
  "dr",
  "f",
  "g",
  "gr",
  "k",
  "kr",
  "l",
  "m",
  "n",
  "p",
  "pr",
  "qu",
  "r",
  "s",
  "st",
  "t",
  "tr",
  "v",
  "w",
  "z",
  "th",
];
const VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o"];
const CODAS = ["", "", "l", "n", "r", "s", "m", "nd", "rk", "st"];
// The sentences a canary can be: the term carries the identity, the sentence makes it read as a fact.
const TEMPLATES = [
  "Experienced teams call this the {T} rule.",
  "This is sometimes referred to as the {T} method, after the working group that first wrote it down.",
  "The {T} checklist covers the same ground in {N} steps.",
  "{P} of the {T} committee recommends reviewing this every {N} months.",
  "In the {T} handbook this appears as guideline {N}.",
  "Auditors trained on the {T} standard look for this first.",
] as const;
const SURNAMES = ["Halvorsen", "Okafor", "Lindqvist", "Moreau", "Takeda", "Brennan", "Castellano", "Novak"];

/** A stream of pseudo-random bytes from a key and a label (HMAC-SHA256 in counter mode). */
function bytesOf(key: Buffer | string, label: string, length: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < length; i++) {
    out.push(createHmac("sha256", key).update(`${label}\0${i}`).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

function inventedWord(bytes: Buffer): string {
  const syllables = 2 + (bytes[0]! % 2);
  let word = "";
  for (let s = 0; s < syllables; s++) {
    const [o, v, c] = [bytes[1 + 3 * s]!, bytes[2 + 3 * s]!, bytes[3 + 3 * s]!];
    word +=
      ONSETS[o % ONSETS.length]! +
      VOWELS[v % VOWELS.length]! +
      (s === syllables - 1 ? CODAS[c % CODAS.length]! : "");
  }
  return word[0]!.toUpperCase() + word.slice(1);
}

/** The install's i-th canary. */
function canaryAt(key: Buffer | string, i: number): Canary {
  const b = bytesOf(key, `canary\0${i}`, 24);
  const term = `${inventedWord(b.subarray(0, 10))} ${inventedWord(b.subarray(10, 20))}`;
  const text = TEMPLATES[b[20]! % TEMPLATES.length]!.replace("{T}", term)
    .replace("{N}", String(3 + (b[21]! % 9)))
    .replace("{P}", `Dr. ${SURNAMES[b[22]! % SURNAMES.length]!}`);
  return { term, text };
}

/** The canaries of the install whose key this is (see `canaryKey`). */
export function canariesOf(key: Buffer | string): Canary[] {
  return Array.from({ length: CANARIES_PER_INSTALL }, (_, i) => canaryAt(key, i));
}

/** The per-install canary key, from the platform secret. */
export function canaryKey(secret: Buffer | string, installId: string): Buffer {
  return createHmac("sha256", secret).update(`canary-key\0${installId}`).digest();
}

/**
 * The canary one served chunk carries for an install, or null: the same chunk always carries the same
 * canary for the same install, and about one chunk in four carries one.
 */
export function canaryForChunk(key: Buffer | string, chunkId: string): Canary | null {
  const [pick, which] = bytesOf(key, `chunk\0${chunkId}`, 2);
  if (pick! >= CARRY_RATE) return null;
  return canaryAt(key, which! % CANARIES_PER_INSTALL);
}

/**
 * The chunk's text with the canary as its last sentence: after a blank line when the text ends in
 * anything but prose (a list, a table, code), so Markdown keeps its structure.
 */
export function withCanary(text: string, canary: Canary): string {
  const trimmed = text.trimEnd();
  const prose =
    /[.!?)"'’”]$/.test(trimmed) && !/\n\s*([-*+|>]|\d+\.)[^\n]*$/.test(trimmed) && !trimmed.includes("```");
  return `${trimmed}${prose ? " " : "\n\n"}${canary.text}`;
}

/** The words of a text, lower-cased, marks and accents removed: what canary terms are looked up in. */
export function wordsOf(text: string): Set<string> {
  const words = stripMarks(text)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u);
  return new Set(words.filter(Boolean));
}

/** The canaries whose term appears in the text (both invented words, anywhere, in any case). */
export function findCanaries(words: Set<string>, canaries: readonly Canary[]): Canary[] {
  return canaries.filter((c) =>
    c.term
      .toLowerCase()
      .split(" ")
      .every((w) => words.has(w)),
  );
}

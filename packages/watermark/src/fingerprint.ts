import { createHmac } from "node:crypto";
import { RS_DATA, RS_LENGTH, rsDecode, rsEncode } from "./reed-solomon.ts";

/**
 * Per-subscriber text fingerprints. A 24-bit code per (organisation, cube version), derived with
 * HMAC from the platform secret, is protected by Reed–Solomon (12 nibbles, 3 correctable) and
 * written in invisible characters at word ends (after a letter or digit, outside code): a frame is one sync mark followed by the 12 nibbles,
 * one nibble per word end, repeated through the text. About 13 words carry a whole frame, so any
 * excerpt of 200 characters holds at least one; a cut frame is put back together from the tail
 * before the first sync and the head after the last.
 */
export const SYNC = "\u2060"; // word joiner
const DIGITS = ["\u200b", "\u200c", "\u200d", "\u2062"] as const; // two per nibble, 2 bits each
// The marks as alternations, not a character class: U+200D joins characters, and a class holding it
// reads as a joined sequence (eslint no-misleading-character-class).
const MARK = "(?:\u2060|\u200b|\u200c|\u200d|\u2062)";
const MARK_RUN = new RegExp(`${MARK}+`, "g");
const MARK_ANY = new RegExp(MARK);
// A word end: a letter or digit followed by whitespace or the end. Not after punctuation, so Markdown
// syntax (`##`, `-`, `|`) keeps its meaning.
const WORD_END = /(?<=[\p{L}\p{N}])(?=\s|$)/gu;
// Code is copied and run: fenced blocks and inline spans are left as they are.
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]+`/g;

export const CODE_BITS = 24;

/** The fingerprint code of an organisation's copy of a cube version. */
export function fingerprintCode(secret: Buffer | string, orgId: string, versionId: string): number {
  const mac = createHmac("sha256", secret).update(`text-fingerprint\0${orgId}\0${versionId}`).digest();
  return mac.readUIntBE(0, 3);
}

function nibblesOf(code: number): number[] {
  return Array.from({ length: RS_DATA }, (_, i) => (code >>> (4 * (RS_DATA - 1 - i))) & 0xf);
}

function codeOf(nibbles: readonly number[]): number {
  return nibbles.reduce((acc, n) => acc * 16 + n, 0);
}

/** The marks of one frame, each entry the invisible text put at one word end. */
function frameMarks(code: number): string[] {
  const word = rsEncode(nibblesOf(code));
  return [SYNC, ...word.map((n) => DIGITS[n >> 2]! + DIGITS[n & 3]!)];
}

/** Removes every fingerprint mark (and so any code) from a text. */
export function stripMarks(text: string): string {
  return text.replace(MARK_RUN, "");
}

/**
 * The text with the code written at its word ends, frame after frame. Marks already in the text
 * (another copy's) are removed first, so a text never carries two codes of ours.
 */
export function embedFingerprint(text: string, code: number): string {
  if (code < 0 || code >= 2 ** CODE_BITS || !Number.isInteger(code)) {
    throw new RangeError(`a fingerprint code is a ${CODE_BITS}-bit integer`);
  }
  const clean = MARK_ANY.test(text) ? stripMarks(text) : text;
  const marks = frameMarks(code);
  // A text with fewer word ends than a frame has symbols gets several symbols per word end, so even
  // one sentence carries the whole code.
  const wordEnds = countWordEnds(clean);
  const perWord = wordEnds > 0 && wordEnds < marks.length ? Math.ceil(marks.length / wordEnds) : 1;
  let i = 0;
  const next = () => {
    let run = "";
    for (let k = 0; k < perWord; k++) run += marks[i++ % marks.length]!;
    return run;
  };
  const mark = (prose: string) => prose.replace(WORD_END, next);
  let out = "";
  let at = 0;
  for (const span of clean.matchAll(CODE)) {
    out += mark(clean.slice(at, span.index)) + span[0];
    at = span.index + span[0].length;
  }
  return out + mark(clean.slice(at));
}

function countWordEnds(text: string): number {
  let n = 0;
  for (const prose of text.split(CODE)) n += prose.match(WORD_END)?.length ?? 0;
  return n;
}

export type DecodedCode = {
  code: number;
  /** Frames that decoded to this code. */
  frames: number;
  /** Symbols Reed–Solomon had to correct over those frames. */
  corrected: number;
};

export type FingerprintReading = {
  /** Whether the text holds any of our invisible characters at all. */
  marked: boolean;
  /** Frames found (complete or put back together) that were tried. */
  frames: number;
  codes: DecodedCode[];
};

type Symbol = { kind: "sync" } | { kind: "nibble"; value: number } | { kind: "noise" };

/** The symbols of one run of marks: a sync mark alone, a nibble per pair of digit marks. */
function symbolsOf(run: string): Symbol[] {
  const out: Symbol[] = [];
  let pending = -1;
  for (const char of run) {
    if (char === SYNC) {
      if (pending !== -1) out.push({ kind: "noise" });
      pending = -1;
      out.push({ kind: "sync" });
      continue;
    }
    const digit = DIGITS.indexOf(char as (typeof DIGITS)[number]);
    if (pending === -1) pending = digit;
    else {
      out.push({ kind: "nibble", value: (pending << 2) | digit });
      pending = -1;
    }
  }
  if (pending !== -1) out.push({ kind: "noise" });
  return out;
}

/**
 * Reads the codes a text carries. Whitespace and line breaks may have changed and the text may be an
 * excerpt or several excerpts of different copies run together: each frame is decoded on its own and
 * the codes are counted. A text with no marks says so (`marked: false`).
 */
export function readFingerprints(text: string): FingerprintReading {
  const symbols = [...text.matchAll(MARK_RUN)].flatMap((m) => symbolsOf(m[0]));
  if (symbols.length === 0) return { marked: false, frames: 0, codes: [] };

  // Segments between syncs; the first is the tail of a frame, the last the head of one.
  const segments: Array<Array<number | null>> = [[]];
  for (const s of symbols) {
    if (s.kind === "sync") segments.push([]);
    else segments[segments.length - 1]!.push(s.kind === "nibble" ? s.value : null);
  }
  const words: Array<Array<number | null>> = [];
  for (let i = 1; i < segments.length - 1; i++) {
    if (segments[i]!.length === RS_LENGTH) words.push(segments[i]!);
  }
  if (segments.length >= 2) {
    // The head after the last sync and the tail before the first, as one frame when they fit.
    const head = segments[segments.length - 1]!;
    const tail = segments[0]!;
    if (head.length <= RS_LENGTH && tail.length <= RS_LENGTH && head.length + tail.length >= RS_LENGTH - 3) {
      const word = new Array<number | null>(RS_LENGTH).fill(null);
      head.forEach((n, i) => (word[i] = n));
      tail.forEach((n, i) => (word[RS_LENGTH - tail.length + i] ??= n));
      // Only worth a try when it is not just a complete frame seen again.
      if (segments.length === 2 || words.length === 0) words.push(word);
    }
  }

  const found = new Map<number, DecodedCode>();
  for (const word of words) {
    const decoded = rsDecode(word.map((n) => n ?? 0));
    if (!decoded) continue;
    const code = codeOf(decoded.data);
    const entry = found.get(code) ?? { code, frames: 0, corrected: 0 };
    entry.frames++;
    entry.corrected += decoded.corrected;
    found.set(code, entry);
  }
  return {
    marked: true,
    frames: words.length,
    codes: [...found.values()].sort((a, b) => b.frames - a.frames || a.corrected - b.corrected),
  };
}

import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Opaque, URL-safe ids with a readable kind prefix (`cube_…`, `ver_…`). */
export function newId(prefix: string, bytes = 12): string {
  const raw = randomBytes(bytes);
  let out = "";
  for (const b of raw) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

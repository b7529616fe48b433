const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Opaque, URL-safe ids with a readable kind prefix (`cube_…`, `ver_…`). Web Crypto, so core stays
 * importable by the portal's pages as well as the server.
 */
export function newId(prefix: string, bytes = 12): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of raw) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

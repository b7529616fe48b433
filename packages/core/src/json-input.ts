/**
 * What every JSON input must be before a service sees it. Postgres stores no NUL character and no
 * lone UTF-16 surrogate in text or jsonb, and deep nesting costs a stack frame per level in every
 * reader after the parser: such input is refused at the door with the place it was found.
 */

/** The deepest JSON accepted: far more than any request of this API needs. */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests deeper than `max` (counted on the text, before parsing it). */
export function jsonDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Why a string cannot be stored, or null: a NUL, another control character, or a lone surrogate. */
export function badCharacter(value: string, allowControls = true): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) return `holds a NUL character at position ${i}`;
    if (!allowControls && (c < 0x20 || c === 0x7f)) return `holds a control character at position ${i}`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return `holds a lone surrogate at position ${i}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) return `holds a lone surrogate at position ${i}`;
  }
  return null;
}

/**
 * The first problem of a parsed JSON value (a key or a string with a character that cannot be
 * stored, or nesting past `MAX_JSON_DEPTH`), with its path (`manifest.descriptive.source`), or null.
 */
export function jsonValueProblem(value: unknown): { path: string; message: string } | null {
  const stack: Array<{ value: unknown; path: string[]; depth: number }> = [{ value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const at = item.path.join(".");
    if (item.depth > MAX_JSON_DEPTH)
      return { path: at, message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
    if (typeof item.value === "string") {
      const bad = badCharacter(item.value);
      if (bad) return { path: at, message: bad };
    } else if (Array.isArray(item.value)) {
      item.value.forEach((v, i) =>
        stack.push({ value: v, path: [...item.path, String(i)], depth: item.depth + 1 }),
      );
    } else if (item.value !== null && typeof item.value === "object") {
      for (const [key, v] of Object.entries(item.value)) {
        const bad = badCharacter(key);
        if (bad) return { path: [...item.path, key].join("."), message: `the key ${bad}` };
        stack.push({ value: v, path: [...item.path, key], depth: item.depth + 1 });
      }
    }
  }
  return null;
}

/**
 * A JSON value the database can store, for what the server writes itself from text it did not
 * check (an error message quoting a payload): NULs and lone surrogates become U+FFFD, and nesting
 * past MAX_JSON_DEPTH is cut off with a null.
 */
export function storableJson<T>(value: T): T {
  // The same shape comes back: strings stay strings, objects and arrays stay what they were.
  return storable(value, 0) as T;
}

function storable(value: unknown, depth: number): unknown {
  if (typeof value === "string") return storableText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_JSON_DEPTH) return null;
  if (Array.isArray(value)) return value.map((v) => storable(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v, depth + 1)]));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const storableText = (text: string) => text.replace(LONE_SURROGATE, "\ufffd").replaceAll("\u0000", "\ufffd");

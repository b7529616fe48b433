import { badCharacter, MAX_JSON_DEPTH } from "@memstore/core";

/**
 * JSON.parse keeps the last of two equal keys without a word; a safetensors header with a tensor
 * named twice is ambiguous (which bytes are it?), so headers are parsed here, refusing duplicates.
 * RFC 8259 grammar; numbers as JavaScript numbers. What no file a real tool writes holds, and the
 * database could not store in a report or manifest, is refused too: a string with a NUL or a lone
 * surrogate, nesting deeper than MAX_JSON_DEPTH.
 */
export class JsonSyntaxError extends Error {}
export class DuplicateKeyError extends Error {
  constructor(
    readonly key: string,
    readonly path: string[],
  ) {
    super(`duplicate key '${key}'${path.length ? ` in '${path.join(".")}'` : ""}`);
  }
}

export function parseStrictJson(text: string): unknown {
  let at = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at character ${at}`);
  };
  const space = () => {
    while (
      at < text.length &&
      (text[at] === " " || text[at] === "\t" || text[at] === "\n" || text[at] === "\r")
    ) {
      at++;
    }
  };
  const string = (): string => {
    if (text[at] !== '"') fail("expected a string");
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') {
      const c = text.charCodeAt(at);
      if (c < 0x20) fail("control character in a string");
      at += text[at] === "\\" ? 2 : 1;
    }
    if (at >= text.length) fail("unterminated string");
    at++;
    let parsed: string;
    try {
      parsed = JSON.parse(text.slice(start, at)) as string;
    } catch {
      return fail("invalid escape in a string");
    }
    const bad = badCharacter(parsed);
    if (bad) fail(`a string that ${bad}`);
    return parsed;
  };
  const value = (path: string[]): unknown => {
    if (path.length > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    space();
    const c = text[at];
    if (c === "{") {
      at++;
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      space();
      if (text[at] === "}") {
        at++;
        return out;
      }
      for (;;) {
        space();
        const key = string();
        if (seen.has(key)) throw new DuplicateKeyError(key, path);
        seen.add(key);
        space();
        if (text[at] !== ":") fail("expected ':'");
        at++;
        Object.defineProperty(out, key, {
          value: value([...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "}") {
          at++;
          return out;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at++;
      const out: unknown[] = [];
      space();
      if (text[at] === "]") {
        at++;
        return out;
      }
      for (;;) {
        out.push(value([...path, String(out.length)]));
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "]") {
          at++;
          return out;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return v;
      }
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (!number) return fail("unexpected character");
    at += number[0].length;
    return Number(number[0]);
  };
  const result = value([]);
  space();
  if (at !== text.length) fail("unexpected text after the value");
  return result;
}

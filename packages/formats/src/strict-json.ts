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
  return new StrictJsonParser(text).document();
}

/** A recursive-descent reader over one text; `at` is the next character to read. */
class StrictJsonParser {
  private at = 0;

  constructor(private readonly text: string) {}

  document(): unknown {
    const result = this.value([]);
    this.space();
    if (this.at !== this.text.length) this.fail("unexpected text after the value");
    return result;
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at character ${this.at}`);
  }

  private space() {
    const { text } = this;
    while (
      this.at < text.length &&
      (text[this.at] === " " || text[this.at] === "\t" || text[this.at] === "\n" || text[this.at] === "\r")
    ) {
      this.at++;
    }
  }

  /** Consumes `c` if it is next. */
  private take(c: string): boolean {
    if (this.text[this.at] !== c) return false;
    this.at++;
    return true;
  }

  private value(path: string[]): unknown {
    if (path.length > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.space();
    const c = this.text[this.at];
    if (c === "{") return this.object(path);
    if (c === "[") return this.array(path);
    if (c === '"') return this.string();
    return this.literal();
  }

  private object(path: string[]): Record<string, unknown> {
    this.at++;
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.space();
    if (this.take("}")) return out;
    for (;;) {
      this.space();
      const key = this.string();
      if (seen.has(key)) throw new DuplicateKeyError(key, path);
      seen.add(key);
      this.space();
      if (!this.take(":")) this.fail("expected ':'");
      // defineProperty, not assignment: a key named `__proto__` is an own member like any other.
      Object.defineProperty(out, key, {
        value: this.value([...path, key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.space();
      if (this.take(",")) continue;
      if (this.take("}")) return out;
      this.fail("expected ',' or '}'");
    }
  }

  private array(path: string[]): unknown[] {
    this.at++;
    const out: unknown[] = [];
    this.space();
    if (this.take("]")) return out;
    for (;;) {
      out.push(this.value([...path, String(out.length)]));
      this.space();
      if (this.take(",")) continue;
      if (this.take("]")) return out;
      this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const { text } = this;
    if (text[this.at] !== '"') this.fail("expected a string");
    const start = this.at;
    this.at++;
    while (this.at < text.length && text[this.at] !== '"') {
      if (text.charCodeAt(this.at) < 0x20) this.fail("control character in a string");
      this.at += text[this.at] === "\\" ? 2 : 1;
    }
    if (this.at >= text.length) this.fail("unterminated string");
    this.at++;
    let parsed: string;
    try {
      parsed = JSON.parse(text.slice(start, this.at)) as string;
    } catch {
      return this.fail("invalid escape in a string");
    }
    const bad = badCharacter(parsed);
    if (bad) this.fail(`a string that ${bad}`);
    return parsed;
  }

  /** `true`, `false`, `null` or a number. */
  private literal(): unknown {
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return v;
      }
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(
      this.text.slice(this.at, this.at + 400),
    );
    if (!number) return this.fail("unexpected character");
    this.at += number[0].length;
    return Number(number[0]);
  }
}

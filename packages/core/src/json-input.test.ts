import { describe, expect, it } from "vitest";
import { badCharacter, jsonDeeperThan, jsonValueProblem, storableJson } from "./json-input.ts";

describe("JSON input", () => {
  it("measures nesting on the text, ignoring brackets inside strings", () => {
    expect(jsonDeeperThan("[".repeat(64) + "]".repeat(64))).toBe(false);
    expect(jsonDeeperThan("[".repeat(65) + "]".repeat(65))).toBe(true);
    expect(
      jsonDeeperThan('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\""}', 3),
    ).toBe(false);
    expect(jsonDeeperThan('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
  });

  it("finds what Postgres cannot store: NUL and lone surrogates, in keys and values, with their path", () => {
    expect(jsonValueProblem({ text: "fine ✓ 🐳" })).toBeNull();
    expect(jsonValueProblem({ manifest: { source: "a\u0000b" } })).toEqual({
      path: "manifest.source",
      message: "holds a NUL character at position 1",
    });
    expect(jsonValueProblem({ tags: ["ok", "\ud800"] })?.path).toBe("tags.1");
    expect(jsonValueProblem({ ["k\u0000"]: 1 })?.message).toMatch(/the key holds a NUL/);
    expect(jsonValueProblem(JSON.parse("[".repeat(70) + "]".repeat(70)))?.message).toMatch(/deeper than 64/);
    expect(badCharacter("\udc00x")).toMatch(/lone surrogate at position 0/);
    expect(badCharacter("tab\there", false)).toMatch(/control character/);
  });

  it("makes what the server writes from unchecked text storable, keeping its shape", () => {
    const report = { error: { message: "line 1: Unexpected token '\u0000'", ["k\ud800"]: ["\udc00🐳", 7] } };
    expect(storableJson(report)).toEqual({
      error: { message: "line 1: Unexpected token '\ufffd'", ["k\ufffd"]: ["\ufffd🐳", 7] },
    });
    expect(jsonValueProblem(storableJson(JSON.parse("[".repeat(70) + "]".repeat(70))))).toBeNull();
    expect(storableJson({ fine: "✓ 🐳", n: 1, none: null })).toEqual({ fine: "✓ 🐳", n: 1, none: null });
  });
});

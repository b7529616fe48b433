import { describe, expect, it } from "vitest";
import { canonicalJson } from "./signing.ts";

describe("canonicalJson", () => {
  it("sorts members at every level by UTF-16 code units and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, é: null, A: "x" }], "\u{1F600}": 0, "\uFFFF": 1 })).toBe(
      // A surrogate pair (U+1F600) sorts by its first code unit, 0xD83D: before U+FFFF.
      '{"a":[{"A":"x","z":true,"é":null}],"b":1,"\u{1F600}":0,"\uFFFF":1}',
    );
  });

  it("writes the value JSON.stringify would: a Date as its ISO string, undefined left out or null", () => {
    const at = new Date("2026-12-07T10:00:00.000Z");
    const value = { at, gone: undefined, list: [undefined, 1], nested: { at } };
    expect(canonicalJson(value)).toBe(
      '{"at":"2026-12-07T10:00:00.000Z","list":[null,1],"nested":{"at":"2026-12-07T10:00:00.000Z"}}',
    );
    // The same bytes once the value has been stored as JSON and read back.
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it("refuses what JSON cannot hold", () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson([Infinity])).toThrow(/NaN or Infinity/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
  });
});

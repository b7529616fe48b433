import { describe, expect, it } from "vitest";
import { Utf8Validator } from "./utf8.ts";

const check = (...parts: number[][]) => {
  const v = new Utf8Validator();
  for (const p of parts) {
    const bad = v.push(Uint8Array.from(p));
    if (bad !== null) return bad;
  }
  return v.end();
};

describe("Utf8Validator", () => {
  it("accepts valid text, including sequences split across chunks", () => {
    const bytes = [...Buffer.from("héllo €𝄞 ok")];
    expect(check(bytes)).toBeNull();
    expect(check(bytes.slice(0, 2), bytes.slice(2, 9), bytes.slice(9))).toBeNull();
  });

  it("reports the offset of a stray continuation byte", () => {
    expect(check([0x61, 0x62, 0x80, 0x63])).toBe(2);
  });

  it("rejects overlong encodings and surrogates", () => {
    expect(check([0x41, 0xc0, 0xaf])).toBe(1);
    expect(check([0xe0, 0x80, 0xaf])).toBe(0);
    expect(check([0x20, 0xed, 0xa0, 0x80])).toBe(1);
  });

  it("rejects a sequence cut off at the end of the stream", () => {
    expect(check([0x61], [0xe2, 0x82])).toBe(1);
  });
});

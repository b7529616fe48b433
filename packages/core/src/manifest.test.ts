import { describe, expect, it } from "vitest";
import { manifestDraftSchema, manifestSchema } from "./manifest.ts";
import { parseMemoryItemLine } from "./memory-item.ts";
import { resolveVersionPolicy } from "./version-policy.ts";

describe("manifest", () => {
  it("fills governance defaults in a draft and refuses unknown fields", () => {
    const draft = manifestDraftSchema.parse({});
    expect(draft.governance.visibility).toBe("public");
    expect(manifestDraftSchema.safeParse({ governance: { visibilty: "public" } }).success).toBe(false);
  });

  it("requires a sha256 digest in the payload and a semantic version", () => {
    const base = {
      schema: "memcube/1",
      publisher: "acme",
      cube: "tax-law",
      version: "1.0.0",
      parent: null,
      type: "plaintext",
      title: "Tax law",
      created: "2026-01-01T00:00:00Z",
      descriptive: { metadata: {} },
      governance: manifestDraftSchema.parse({}).governance,
      payload: { format: "jsonl", digest: `sha256:${"a".repeat(64)}`, size: 10 },
    };
    expect(manifestSchema.safeParse(base).success).toBe(true);
    expect(manifestSchema.safeParse({ ...base, version: "1.0" }).success).toBe(false);
    expect(manifestSchema.safeParse({ ...base, payload: { ...base.payload, digest: "md5:x" } }).success).toBe(
      false,
    );
  });
});

describe("memory items", () => {
  it("parses a JSONL line with defaults", () => {
    expect(parseMemoryItemLine('{"text":"Paris is in France"}')).toEqual({
      ok: true,
      item: { text: "Paris is in France", tags: [], metadata: {} },
    });
  });

  it("names the field that is wrong", () => {
    expect(parseMemoryItemLine('{"text":"x","tags":"a"}')).toMatchObject({ ok: false, message: /^tags:/ });
    expect(parseMemoryItemLine('{"text":""}')).toMatchObject({
      ok: false,
      message: /text must not be empty/,
    });
    expect(parseMemoryItemLine("{nope")).toMatchObject({ ok: false, message: /^invalid JSON/ });
  });

  it("refuses a line the database could not store, where the line is known", () => {
    expect(parseMemoryItemLine('{"text":"before\\u0000after"}')).toEqual({
      ok: false,
      message: "text: holds a NUL character at position 6",
    });
    expect(parseMemoryItemLine('{"text":"x","metadata":{"k":"\\ud800"}}')).toMatchObject({
      ok: false,
      message: /^metadata\.k: holds a lone surrogate/,
    });
    const deep = `{"text":"deep","metadata":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`;
    expect(parseMemoryItemLine(deep)).toEqual({ ok: false, message: "nests deeper than 64 levels" });
  });
});

describe("version policy", () => {
  const available = ["1.0.0", "1.2.0", "2.0.0"];
  it("resolves latest, ranges and exact versions", () => {
    expect(resolveVersionPolicy("latest", available)).toBe("2.0.0");
    expect(resolveVersionPolicy("^1", available)).toBe("1.2.0");
    expect(resolveVersionPolicy("1.0.0", available)).toBe("1.0.0");
    expect(resolveVersionPolicy("3.0.0", available)).toBeNull();
  });
});

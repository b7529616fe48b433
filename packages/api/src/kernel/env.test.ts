import { describe, expect, it } from "vitest";
import { loadConfig } from "./env.ts";

describe("loadConfig", () => {
  it("runs embedded with defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config.mode).toBe("embedded");
    expect(config.PORT).toBe(3000);
    expect(config.storageUrl).toMatch(/^file:\/\/.*\.memstore\/blobs$/);
  });

  it("stops with a message naming the wrong variable", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT: .*"eighty"/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ URL/,
    );
    expect(() => loadConfig({ STORAGE_URL: "gs://bucket" })).toThrow(/STORAGE_URL/);
    expect(() => loadConfig({ STORAGE_URL: "s3://" })).toThrow(/STORAGE_URL/);
    expect(loadConfig({ STORAGE_URL: "s3://bucket/blobs?region=eu-west-1" }).storageUrl).toBe(
      "s3://bucket/blobs?region=eu-west-1",
    );
  });

  it("refuses an overlap as large as the chunk", () => {
    expect(() => loadConfig({ CHUNK_MAX_CHARS: "500", CHUNK_OVERLAP_CHARS: "500" })).toThrow(
      /CHUNK_OVERLAP_CHARS/,
    );
  });
});

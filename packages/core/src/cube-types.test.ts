import { describe, expect, it } from "vitest";
import {
  acceptedExtensions,
  CUBE_TYPE_DEFINITIONS,
  CUBE_TYPES,
  fileKindOf,
  firstStage,
  isPickleFileName,
  nextStage,
  payloadFormatOf,
  stagesOf,
} from "./cube-types.ts";

describe("cube types", () => {
  it("runs plaintext through desensitisation and embedding, binaries through validation, all ending signed", () => {
    expect(stagesOf("plaintext")).toEqual(["ingest", "desensitise", "convert", "embed", "evaluate", "sign"]);
    expect(stagesOf("activation")).toEqual(["ingest", "convert", "validate", "sign"]);
    expect(stagesOf("parametric")).toEqual(["ingest", "convert", "validate", "sign"]);
  });

  it("walks each pipeline stage by stage and stops after sign", () => {
    for (const type of CUBE_TYPES) {
      const walked = [firstStage(type)];
      for (let s = nextStage(type, firstStage(type)); s; s = nextStage(type, s)) walked.push(s);
      expect(walked).toEqual(stagesOf(type));
    }
    expect(nextStage("plaintext", "validate")).toBeNull();
    expect(nextStage("activation", "embed")).toBeNull();
  });

  it("accepts each type's media types, parameters and case aside, and nothing of another type", () => {
    expect(payloadFormatOf("plaintext", "text/markdown; charset=utf-8")).toBe("markdown");
    expect(payloadFormatOf("plaintext", "Application/X-NDJSON")).toBe("jsonl");
    expect(payloadFormatOf("plaintext", "application/jsonl")).toBe("jsonl");
    expect(payloadFormatOf("activation", "application/vnd.safetensors")).toBe("safetensors");
    expect(payloadFormatOf("parametric", "application/x-tar")).toBe("peft-tar");
    expect(payloadFormatOf("parametric", "application/vnd.safetensors")).toBeNull();
    expect(payloadFormatOf("plaintext", null)).toBeNull();
  });

  it("tells a file's type from its name, one type per extension", () => {
    expect(fileKindOf("handbook.MD")).toEqual({ type: "plaintext", mediaType: "text/markdown" });
    expect(fileKindOf("facts.jsonl")).toEqual({ type: "plaintext", mediaType: "application/x-ndjson" });
    expect(fileKindOf("cache.safetensors")).toEqual({
      type: "activation",
      mediaType: "application/vnd.safetensors",
    });
    expect(fileKindOf("adapter.tar")).toEqual({ type: "parametric", mediaType: "application/x-tar" });
    expect(fileKindOf("cache.safetensors", "parametric")).toBeNull();
    expect(fileKindOf("notes")).toBeNull();
    const extensions = CUBE_TYPES.flatMap((t) => CUBE_TYPE_DEFINITIONS[t].media.flatMap((m) => m.extensions));
    expect(new Set(extensions).size).toBe(extensions.length);
    expect(acceptedExtensions("plaintext")).toBe(".md,.markdown,.txt,.jsonl,.ndjson");
  });

  it("refuses pickle files by name", () => {
    for (const name of ["adapter_model.bin", "model.PT", "w.pth", "x.pkl", "y.pickle", "z.ckpt"]) {
      expect(isPickleFileName(name)).toBe(true);
    }
    expect(isPickleFileName("adapter_model.safetensors")).toBe(false);
    expect(isPickleFileName("binary.md")).toBe(false);
  });
});

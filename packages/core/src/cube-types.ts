/**
 * The three types of MemCube, declared once: what each is called, the files it is uploaded as, the
 * stages its pipeline runs in order and the artifacts each stage leaves, and the forms an installed
 * copy can be downloaded in. The pipeline takes a version's next stage from here, uploads are
 * checked against it, the publish wizard and the CLI draw from it. No I/O: the portal imports it.
 */

export const CUBE_TYPES = ["plaintext", "activation", "parametric"] as const;
export type CubeType = (typeof CUBE_TYPES)[number];

/** Every stage a pipeline may run; each type runs some of them, in the order it declares. */
export const STAGES = ["ingest", "desensitise", "convert", "embed", "evaluate", "validate", "sign"] as const;
export type Stage = (typeof STAGES)[number];

/** A processing run records one stage of a version, or the derivation that made its payload. */
export const RUN_KINDS = [...STAGES, "derive"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The forms an organisation's copy of a binary cube is offered in besides its own dtype. */
export const COPY_VARIANTS = ["f16", "bf16", "int8"] as const;
export type CopyVariant = (typeof COPY_VARIANTS)[number];

/**
 * What a stored blob of a version is to it. Stages write the shared ones (see each type's stages);
 * `fingerprinted` and its variants are one organisation's own copy, written when it installs.
 */
export const ARTIFACT_ROLES = [
  "desensitised",
  "chunks",
  "canonical",
  "int8",
  "source-weights",
  "adapter-config",
  "weights",
  "weights-f16",
  "weights-bf16",
  "f16",
  "bf16",
  "fingerprinted",
  "fingerprinted-f16",
  "fingerprinted-bf16",
  "fingerprinted-int8",
] as const;
export type ArtifactRole = (typeof ARTIFACT_ROLES)[number];

/** The role of an organisation's copy, in its own dtype or as a variant. */
export function copyRole(variant?: CopyVariant): ArtifactRole {
  return variant ? `fingerprinted-${variant}` : "fingerprinted";
}

export const SAFETENSORS = "application/vnd.safetensors";
export const TAR = "application/x-tar";
export const NDJSON = "application/x-ndjson";

type MediaType = {
  type: string;
  /** What the payload is to the pipeline (the manifest's `payload.format`). */
  format: string;
  /** File name extensions that mean this type; none for an alias accepted on upload only. */
  extensions: readonly string[];
};

type CubeTypeDefinition = {
  label: string;
  /** The label where space is short (a filter, a badge). */
  shortLabel: string;
  description: string;
  /** What to upload, in a sentence. */
  files: string;
  media: readonly MediaType[];
  stages: readonly { stage: Stage; label: string; artifacts: readonly ArtifactRole[] }[];
  variants: readonly CopyVariant[];
};

export const CUBE_TYPE_DEFINITIONS = {
  plaintext: {
    label: "Plaintext knowledge",
    shortLabel: "Plaintext",
    description: "Markdown, plain text or JSONL memory items; desensitised, chunked and embedded on submit.",
    files: "Markdown (.md), text (.txt) or JSONL memory items (.jsonl).",
    media: [
      { type: "text/markdown", format: "markdown", extensions: ["md", "markdown"] },
      { type: "text/plain", format: "text", extensions: ["txt"] },
      { type: NDJSON, format: "jsonl", extensions: ["jsonl", "ndjson"] },
      { type: "application/jsonl", format: "jsonl", extensions: [] },
    ],
    stages: [
      { stage: "ingest", label: "Ingest: validate the text", artifacts: [] },
      {
        stage: "desensitise",
        label: "Desensitise: find and handle personal data",
        artifacts: ["desensitised"],
      },
      { stage: "convert", label: "Convert: chunk", artifacts: ["chunks"] },
      { stage: "embed", label: "Embed: vectors for search", artifacts: [] },
      {
        stage: "evaluate",
        label: "Evaluate: the publisher's questions, answered by search over this version",
        artifacts: [],
      },
      { stage: "sign", label: "Sign: the platform signs the manifest", artifacts: [] },
    ],
    variants: [],
  },
  activation: {
    label: "KV-cache snapshot (activation memory)",
    shortLabel: "KV snapshot",
    description:
      "A safetensors file of past_key_values for a registered base model; checked and run on the model.",
    files: "A KV snapshot (.safetensors) made for a base model in the registry.",
    media: [{ type: SAFETENSORS, format: "safetensors", extensions: ["safetensors"] }],
    stages: [
      {
        stage: "ingest",
        label: "Ingest: check the safetensors file and its prefix hashes",
        artifacts: [],
      },
      {
        stage: "convert",
        label: "Convert: canonical layout and an int8 variant",
        artifacts: ["canonical", "int8"],
      },
      { stage: "validate", label: "Validate: against the base model, and a run on it", artifacts: [] },
      { stage: "sign", label: "Sign: the platform signs the manifest", artifacts: [] },
    ],
    variants: ["int8"],
  },
  parametric: {
    label: "LoRA adapter pack (parametric memory)",
    shortLabel: "LoRA adapter",
    description: "A PEFT LoRA adapter (adapter_config.json and adapter_model.safetensors) as a .tar.",
    files: "A .tar of a PEFT adapter directory: adapter_config.json and adapter_model.safetensors.",
    media: [{ type: TAR, format: "peft-tar", extensions: ["tar"] }],
    stages: [
      {
        stage: "ingest",
        label: "Ingest: unpack and check the adapter",
        artifacts: ["source-weights", "adapter-config"],
      },
      {
        stage: "convert",
        label: "Convert: canonical weights, f16 and bf16",
        artifacts: ["weights", "canonical", "weights-f16", "f16", "weights-bf16", "bf16"],
      },
      { stage: "validate", label: "Validate: against the base model, and a run on it", artifacts: [] },
      { stage: "sign", label: "Sign: the platform signs the manifest", artifacts: [] },
    ],
    variants: ["f16", "bf16"],
  },
} as const satisfies Record<CubeType, CubeTypeDefinition>;

/** The stages a type's pipeline runs (as a type: exactly those names). */
export type StageOf<T extends CubeType> = (typeof CUBE_TYPE_DEFINITIONS)[T]["stages"][number]["stage"];

export function stagesOf(type: CubeType): readonly Stage[] {
  return CUBE_TYPE_DEFINITIONS[type].stages.map((s) => s.stage);
}

/** Where every version's pipeline starts. */
export function firstStage(type: CubeType): Stage {
  return stagesOf(type)[0]!;
}

/** The stage after `stage` in the type's pipeline; null after the last (or for a stage it does not run). */
export function nextStage(type: CubeType, stage: Stage): Stage | null {
  const stages = stagesOf(type);
  const at = stages.indexOf(stage);
  return at === -1 ? null : (stages[at + 1] ?? null);
}

/** The payload format a media type (parameters ignored, any case) means for a type; null if not accepted. */
export function payloadFormatOf(type: CubeType, contentType: string | null): string | null {
  const media = mediaTypeOf(contentType);
  return CUBE_TYPE_DEFINITIONS[type].media.find((m) => m.type === media)?.format ?? null;
}

/** The media types a type's payload may be uploaded as. */
export function mediaTypesOf(type: CubeType): string[] {
  return CUBE_TYPE_DEFINITIONS[type].media.map((m) => m.type);
}

/** Every media type some type's payload may be uploaded as. */
export const PAYLOAD_MEDIA_TYPES = [...new Set(CUBE_TYPES.flatMap(mediaTypesOf))];

/** `text/markdown; charset=utf-8` → `text/markdown`. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

const extensionOf = (fileName: string) => /\.([^./\\]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? "";

/** The type and media type a file's name says it is (`.safetensors` → a KV snapshot), or null. */
export function fileKindOf(fileName: string, type?: CubeType): { type: CubeType; mediaType: string } | null {
  const extension = extensionOf(fileName);
  for (const t of type ? [type] : CUBE_TYPES) {
    const media = CUBE_TYPE_DEFINITIONS[t].media.find((m) => m.extensions.some((e) => e === extension));
    if (media) return { type: t, mediaType: media.type };
  }
  return null;
}

/** The `accept` list of a file input for a type: `.md,.markdown,.txt,…`. */
export function acceptedExtensions(type: CubeType): string {
  return CUBE_TYPE_DEFINITIONS[type].media.flatMap((m) => m.extensions.map((e) => `.${e}`)).join(",");
}

/**
 * Pickle formats, refused by name before an upload starts (and by content on the server): loading
 * one runs whatever code it holds.
 */
export const PICKLE_EXTENSIONS = ["bin", "pt", "pth", "pkl", "pickle", "ckpt"] as const;

export function isPickleFileName(fileName: string): boolean {
  return (PICKLE_EXTENSIONS as readonly string[]).includes(extensionOf(fileName));
}

import { customRecognizerSchema, piiPolicySchema } from "@memstore/privacy/schemas";
import semver from "semver";
import { z } from "zod";
import { CUBE_TYPES } from "./cube-types.ts";

/**
 * `memcube.json`, schema `memcube/1`. Field groups follow the MemOS paper: identity, descriptive,
 * governance, payload; behaviour is kept by the server and never read from uploads.
 */
export const semverSchema = z
  .string()
  .max(100)
  .refine((v) => semver.valid(v) === v, "must be a semantic version");

/** An object's id as the API hands it out (`cube_…`, `ver_…`): opaque, short. */
export const idSchema = z.string().min(1).max(100);

/** A tag or a purpose: a short word or phrase. */
export const tagSchema = z.string().trim().min(1).max(64);
/** A purpose an agent call is made for, as license terms and keys name it: printable, one line. */
export const purposeSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, "a purpose is printable text on one line");
/** A slug made from a name: lower case, ASCII letters and digits joined by hyphens, at most 60. */
export const slugify = (s: string) =>
  s
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);

export const slugSchema = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes, starting with a letter or digit");

export const VISIBILITIES = ["public", "unlisted", "org", "private"] as const;

/**
 * How densely a listing's served text carries its subscriber fingerprint marks (@memstore/watermark
 * fingerprint.ts): every word end, one in eight, or none. Each mark costs an agent one token.
 */
export const MARK_DENSITIES = ["off", "light", "dense"] as const;
export type MarkDensity = (typeof MARK_DENSITIES)[number];

/**
 * The terms a cube is used under: a version's manifest declares them as its `governance.license`, a
 * listing sells it under them (`terms`), and an organisation's entitlement is bound by them.
 */
export const termsSchema = z
  .object({
    // Bounded so every count and date computed from them stays exact (a 32-bit counter, a real date).
    calls_per_day: z.number().int().positive().max(1_000_000_000).optional(),
    valid_days: z.number().int().positive().max(36_500).optional(),
    redistribution: z.boolean().optional(),
    purposes: z.array(purposeSchema).max(50).optional(),
    /** Subscribers may take the installed text out of MemStore in a vault export (fingerprinted as served). */
    export: z.boolean().optional(),
    /**
     * The share of a version's chunks one organisation may receive in any 24 hours, across all its
     * installs, vaults, keys, search, MCP and export: at most ⌈x × the version's chunks⌉ distinct
     * chunks (0 < x ≤ 1). Chunks already received keep being served.
     */
    max_share_per_day: z.number().gt(0).max(1).optional(),
  })
  .strict();

export const governanceSchema = z
  .object({
    visibility: z.enum(VISIBILITIES).default("public"),
    access: z.array(z.string().min(1).max(200)).max(100).default([]),
    purposes: z.array(z.string().min(1).max(100)).max(50).default([]),
    ttl_days: z.number().int().positive().max(36_500).optional(),
    priority: z.number().int().min(0).max(100).optional(),
    license: termsSchema.optional(),
    /** Operator per entity type (`@memstore/privacy`); empty means the default policy. */
    pii_policy: piiPolicySchema,
    /** The publisher's own recognisers, run with the built-in ones. */
    pii_recognizers: z.array(customRecognizerSchema).max(50).default([]),
  })
  .strict();

export const descriptiveSchema = z
  .object({
    source: z.string().max(2000).optional(),
    origin: z.string().max(200).optional(),
    semantic_type: z.string().max(200).optional(),
    language: z.string().min(2).max(16).optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** What a publisher may send when creating a version: governance, descriptive, payload hints. */
export const manifestDraftSchema = z
  .object({
    changelog: z.string().max(10_000).optional(),
    governance: governanceSchema.default(() => governanceSchema.parse({})),
    descriptive: descriptiveSchema.default(() => descriptiveSchema.parse({})),
    payload: z
      .object({
        format: z.enum(["jsonl", "markdown", "text"]).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Terms = z.infer<typeof termsSchema>;

export type ManifestDraft = z.infer<typeof manifestDraftSchema>;

const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/**
 * The payload group: what every payload has (format, digest, size), then what the pipeline adds for
 * its type — plaintext counts, the desensitised text and the embedding; a snapshot's model, layout
 * and prefix hashes; a pack's model, rank and modules.
 */
export const payloadSchema = z
  .object({
    format: z.string(),
    digest: digestSchema,
    size: z.number().int().nonnegative(),
    items: z.number().int().nonnegative().optional(),
    chunks: z.number().int().nonnegative().optional(),
    desensitised: z.object({ digest: digestSchema, size: z.number().int().nonnegative() }).optional(),
    embedding: z.object({ model: z.string(), dimension: z.number().int().positive() }).optional(),
    base_model: z.string().optional(),
    /** The registration a validated version was checked against, and the digest of its config. */
    base_model_id: z.string().optional(),
    base_model_config_sha256: z.string().optional(),
    dtype: z.string().optional(),
    tokenizer_sha256: z.string().optional(),
    tokens: z.number().int().nonnegative().optional(),
    layers: z.number().int().positive().optional(),
    kv_heads: z.number().int().positive().optional(),
    head_dim: z.number().int().positive().optional(),
    prefix_hashes: z.array(z.string()).optional(),
    rank: z.number().int().positive().optional(),
    alpha: z.number().positive().optional(),
    use_rslora: z.boolean().optional(),
    target_modules: z.union([z.string(), z.array(z.string())]).optional(),
    modules: z.number().int().nonnegative().optional(),
  })
  .loose();

export type Payload = z.infer<typeof payloadSchema>;

export const manifestSchema = z
  .object({
    schema: z.literal("memcube/1"),
    publisher: z.string(),
    cube: slugSchema,
    version: semverSchema,
    parent: semverSchema.nullable(),
    type: z.enum(CUBE_TYPES),
    title: z.string().min(1).max(200),
    description: z.string().max(20_000).default(""),
    tags: z.array(z.string()).default([]),
    language: z.string().optional(),
    created: z.iso.datetime({ offset: true }),
    changelog: z.string().optional(),
    descriptive: descriptiveSchema,
    governance: governanceSchema,
    payload: payloadSchema.nullable(),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest with fields added to its payload (a submitted version always has one). */
export function withPayload(manifest: Manifest, fields: Partial<Payload>): Manifest {
  if (!manifest.payload)
    throw new Error(`manifest of ${manifest.cube}@${manifest.version} has no payload yet`);
  return { ...manifest, payload: { ...manifest.payload, ...fields } };
}

/** The base model a binary version's ingest recorded in its payload. */
export function baseModelOf(manifest: Manifest): string {
  const name = manifest.payload?.base_model;
  if (!name) throw new Error(`${manifest.cube}@${manifest.version} records no base model`);
  return name;
}

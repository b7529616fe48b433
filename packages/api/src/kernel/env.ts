import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";

/**
 * The one place configuration is read. A wrong value stops start-up with a message that names the
 * variable; nothing else in the code reads process.env.
 */
const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const MiB = 1024 * 1024;

const envSchema = z.object({
  MEMSTORE_DATA_DIR: z.string().min(1).default(".memstore"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .optional(),
  STORAGE_URL: z
    .string()
    .regex(/^(file:\/\/|s3:\/\/[^/?#@]+)/, "must be a file:// or s3://bucket/prefix URL")
    .optional(),
  /** Credentials for an s3:// STORAGE_URL; unset = the AWS SDK's own chain (environment, instance role). */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  PUBLIC_URL: z.url().optional(),
  EMBEDDING_MODEL_DIR: z.string().min(1).optional(),
  /**
   * The store's relevance floor: a listing found only by meaning (no word of the query in it) is
   * shown when its cosine similarity to the query is at least this. Unset: 0.3 for the built-in
   * embedder (related texts measured 0.41–0.57, unrelated below 0.1); a sentence-embedding model
   * scores everything higher and needs its own (0.75 is a start for MiniLM and bge-small).
   */
  STORE_RELEVANCE_FLOOR: z.coerce.number().min(-1).max(1).optional(),
  /**
   * A context's module routing: an installed KV snapshot or LoRA pack fits a query when one of its
   * passages (title, description, the text it documents) is at least this similar to it. Unset: as
   * the store's default (0.3 for the built-in embedder, 0.75 for a model).
   */
  MODULE_RELEVANCE_FLOOR: z.coerce.number().min(-1).max(1).optional(),
  /** An ONNX token-classification (NER) model for PERSON and LOCATION; unset = the built-in heuristic. */
  PII_MODEL_DIR: z.string().min(1).optional(),
  MAX_PAYLOAD_BYTES: bytes(512 * MiB),
  MAX_PLAINTEXT_BYTES: bytes(64 * MiB),
  /** What an organisation's draft versions may hold in uploaded payloads at once. */
  DRAFT_STORAGE_BYTES: bytes(2048 * MiB),
  /** How long a draft's uploaded payload is kept without the version being submitted. */
  DRAFT_PAYLOAD_TTL_HOURS: z.coerce.number().int().min(1).max(8760).default(168),
  CHUNK_MAX_CHARS: z.coerce.number().int().min(200).max(20_000).default(1200),
  CHUNK_OVERLAP_CHARS: z.coerce.number().int().min(0).max(5_000).default(150),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[\w-]+$/, "letters, digits, _ and - only")
    .default("memstore"),
  JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  WORKER_SHUTDOWN_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * The worker process's nice value: publishing is background work, so on a machine it shares with
   * `memstore serve` it yields the CPU to searches (bench:load measures the difference). 0 runs it
   * at the web processes' priority.
   */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /**
   * A version `processing` with no stage starting or ending for this long, and no live job, is
   * queued again by the pipeline sweep (its job was lost: Redis restarted, a hand-off failed).
   */
  PIPELINE_LEASE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(120_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Signs portal session cookies; when unset, one is generated once and kept in the data directory. */
  AUTH_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  /** The platform's master secret (fingerprint codes, publishers' keys); unset = generated into the data directory. */
  PLATFORM_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  /** The ed25519 private key (PKCS#8 PEM) that signs manifests; unset = generated into the data directory. */
  PLATFORM_SIGNING_KEY: z
    .string()
    .includes("PRIVATE KEY", { message: "must be a PKCS#8 PEM private key" })
    .optional(),
  /** Lets webhooks reach loopback and private addresses (local development); off, only public ones. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  /** Stripe's secret key (`sk_…`); unset, paid listings cannot be bought (503 payments_unconfigured). */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, "a Stripe secret key: sk_test_…, sk_live_…")
    .optional(),
  /** Verifies Stripe's webhooks (`whsec_…`, the endpoint's signing secret). */
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\S+$/, "a webhook signing secret: whsec_…")
    .optional(),
  /** Where Stripe's API is: unset, Stripe itself; a local stand-in in tests and `npm start`. */
  STRIPE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The platform's fee on each sale, in basis points (1000 = 10%). */
  PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /**
   * dev: pages compiled on demand; production: the output of `npm run build`; off: API only. Unset,
   * each command picks: `memstore dev` compiles on demand, `memstore serve` serves the build.
   */
  PORTAL: z.enum(["dev", "production", "off"]).optional(),
});

export type Env = z.infer<typeof envSchema>;

/** Every environment variable the configuration reads (docs/configuration.md lists each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export type Config = Env & {
  dataDir: string;
  storageUrl: string;
  publicUrl: string;
  mode: "embedded" | "services";
};

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join(".")}: ${i.message} (got ${JSON.stringify(relevant[String(i.path[0])])})`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.CHUNK_OVERLAP_CHARS >= e.CHUNK_MAX_CHARS) {
    throw new ConfigError(
      "Invalid configuration:\n  CHUNK_OVERLAP_CHARS: must be smaller than CHUNK_MAX_CHARS",
    );
  }
  const dataDir = resolve(e.MEMSTORE_DATA_DIR);
  return {
    ...e,
    dataDir,
    storageUrl: e.STORAGE_URL ?? pathToFileURL(resolve(dataDir, "blobs")).href,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    mode: e.DATABASE_URL ? "services" : "embedded",
  };
}

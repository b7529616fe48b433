import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import {
  ARTIFACT_ROLES,
  ENTITLEMENT_SOURCES,
  ENTITLEMENT_STATES,
  CUBE_TYPES,
  type CubeType,
  EVENT_TYPES,
  type EvalQuestion,
  type InstallNotice,
  type Manifest,
  ROLES,
  RUN_KINDS,
  type Scope,
  type Terms,
  VERSION_STATUSES,
  MARK_DENSITIES,
  MEMORY_STATES,
  type RetentionPolicy,
  VISIBILITIES,
} from "@memstore/core";
import { anyVector, tsvector } from "./columns.ts";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * One HNSW cosine index per indexed dimension, each over the rows of that dimension; `links` is the
 * graph's m (pgvector's default 16).
 */
const hnswByDimension = (table: string, vector: string, dims: readonly number[], links = 16) =>
  dims.map((d) => {
    const built = index(`${table}_${vector}_${d}_hnsw`)
      .using("hnsw", sql.raw(`(${vector}::vector(${d})) vector_cosine_ops`))
      .where(sql.raw(`embedding_dim = ${d}`));
    return links === 16 ? built : built.with({ m: links, ef_construction: 64 });
  });

export const organizations = pgTable("organizations", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  /** The publisher page's words about the organisation (Markdown, rendered safely). */
  about: text("about").notNull().default(""),
  /** The organisation's own site, https only. */
  website: text("website"),
  createdAt: createdAt(),
});

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  createdAt: createdAt(),
});

export const memberships = pgTable(
  "memberships",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] })],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the secret, unique, to find the row without scanning hashes. */
    prefix: text("prefix").notNull().unique(),
    hash: text("hash").notNull(),
    scopes: text("scopes").array().$type<Scope[]>().notNull(),
    /** What the key's calls are for (license terms' `purposes`); empty: it states none. */
    purposes: text("purposes")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    vaultId: text("vault_id"),
    expiresAt: ts("expires_at"),
    revokedAt: ts("revoked_at"),
    lastUsedAt: ts("last_used_at"),
    createdBy: text("created_by"),
    createdAt: createdAt(),
  },
  (t) => [index("api_keys_org_idx").on(t.orgId)],
);

export const cubes = pgTable(
  "cubes",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    slug: text("slug").notNull(),
    type: text("type", { enum: CUBE_TYPES }).notNull(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("cubes_org_slug_uq").on(t.orgId, t.slug)],
);

export const cubeVersions = pgTable(
  "cube_versions",
  {
    id: text("id").primaryKey(),
    cubeId: text("cube_id")
      .notNull()
      .references(() => cubes.id, { onDelete: "cascade" }),
    orgId: text("org_id").notNull(),
    version: text("version").notNull(),
    status: text("status", { enum: VERSION_STATUSES }).notNull().default("draft"),
    manifest: jsonb("manifest").$type<Manifest>().notNull(),
    digest: text("digest"),
    size: bigint("size", { mode: "number" }),
    contentType: text("content_type"),
    /** When the draft's payload arrived: an abandoned draft's payload expires from then. */
    uploadedAt: ts("uploaded_at"),
    signature: text("signature"),
    parentId: text("parent_id"),
    embeddingModel: text("embedding_model"),
    embeddingDim: integer("embedding_dim"),
    /** A plaintext version's chunks: what a vault installing it searches (search picks its plan by it). */
    chunkCount: integer("chunk_count"),
    submittedAt: ts("submitted_at"),
    readyAt: ts("ready_at"),
    /** A yanked version can no longer be installed; installs holding it move off it or carry a notice. */
    yankedAt: ts("yanked_at"),
    yankReason: text("yank_reason"),
    yankSeverity: text("yank_severity", { enum: ["normal", "critical"] }),
    /**
     * Held by its evaluation (recall fell by more than the publisher allows): ready, but announced
     * and offered to no one until the publisher releases it.
     */
    heldAt: ts("held_at"),
    heldReason: text("held_reason"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("cube_versions_cube_version_uq").on(t.cubeId, t.version)],
);

/**
 * Questions an organisation asked a listing before buying it, per UTC day: claimed before they are
 * answered (at most the daily allowance), and the ones the pack answered, for the publisher's Sales.
 */
export const listingPreviews = pgTable(
  "listing_previews",
  {
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    day: date("day").notNull(),
    questions: integer("questions").notNull().default(0),
    answered: integer("answered").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.listingId, t.orgId, t.day] })],
);

/**
 * The chunks of a listing one organisation received under a share cap (`terms.max_share_per_day`),
 * each with when it was last served: the distinct chunks with `received_at` in the last 24 hours are
 * what the cap counts. Older rows count for nothing; serving a chunk again refreshes its row, and a
 * sweep deletes the stale ones.
 */
export const shareReceipts = pgTable(
  "share_receipts",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    chunkId: text("chunk_id").notNull(),
    receivedAt: ts("received_at").notNull(),
  },
  (t) => [
    // Chunk first: a lookup of one receipt uses it, and a count of one organisation's window on a
    // listing can only use the window index (whatever the planner's statistics say).
    primaryKey({ columns: [t.chunkId, t.orgId, t.listingId] }),
    // A claim's count: the receipts that left the window since the last claim, a short range.
    index("share_receipts_window_idx").on(t.orgId, t.listingId, t.receivedAt),
  ],
);

/**
 * How many distinct chunks of a listing one organisation holds in its share-cap window, as of
 * `checked_at`: each claim first takes away the receipts that left the window since (a short range
 * of the window index), so no claim counts the whole window.
 */
export const shareWindows = pgTable(
  "share_windows",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    held: integer("held").notNull(),
    checkedAt: ts("checked_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.listingId] })],
);

/**
 * An organisation's review of a listing it holds (or held for a week, or called 100 times): one per
 * organisation and listing, edited in place; the publisher's one reply beside it.
 */
export const reviews = pgTable(
  "reviews",
  {
    id: text("id").primaryKey(),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    author: text("author").notNull(),
    rating: integer("rating").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    replyBody: text("reply_body"),
    replyBy: text("reply_by"),
    repliedAt: ts("replied_at"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("reviews_listing_org_uq").on(t.listingId, t.orgId),
    index("reviews_listing_idx").on(t.listingId, t.updatedAt),
  ],
);

/** A report that a review breaks the rules: one per organisation and review (a second one restates it). */
export const reviewReports = pgTable(
  "review_reports",
  {
    reviewId: text("review_id")
      .notNull()
      .references(() => reviews.id, { onDelete: "cascade" }),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    reportedBy: text("reported_by").notNull(),
    reason: text("reason").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.reviewId, t.orgId] })],
);

/**
 * Every word of a listing's listed version (its chunks' lexemes, without positions, at most
 * 50,000): the store finds a listing by any word of its content, not only by its title and a sample.
 * Apart from `listings`, so reading a listing never carries it.
 */
export const listingVocab = pgTable(
  "listing_vocab",
  {
    listingId: text("listing_id")
      .primaryKey()
      .references(() => listings.id, { onDelete: "cascade" }),
    vocab: tsvector("vocab").notNull(),
    /** The version the words are of: written again only for another version. */
    versionId: text("version_id").notNull(),
  },
  (t) => [index("listing_vocab_gin").using("gin", t.vocab)],
);

/** A plaintext version's evaluation set, attached to its draft: the `evaluate` stage answers it. */
export const versionEvals = pgTable("version_evals", {
  versionId: text("version_id")
    .primaryKey()
    .references(() => cubeVersions.id, { onDelete: "cascade" }),
  questions: jsonb("questions").$type<EvalQuestion[]>().notNull(),
  /** Hold the version when its recall@5 is more than this below the version before's (0–1); null: never. */
  maxRecallDrop: doublePrecision("max_recall_drop"),
  createdAt: createdAt(),
});

export const artifacts = pgTable(
  "artifacts",
  {
    id: text("id").primaryKey(),
    versionId: text("version_id")
      .notNull()
      .references(() => cubeVersions.id, { onDelete: "cascade" }),
    role: text("role", { enum: ARTIFACT_ROLES }).notNull(),
    /** Set for per-organisation artifacts (fingerprinted copies); empty for shared ones. */
    forOrgId: text("for_org_id").notNull().default(""),
    digest: text("digest").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    contentType: text("content_type"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("artifacts_version_role_org_uq").on(t.versionId, t.role, t.forOrgId)],
);

export const processingRuns = pgTable(
  "processing_runs",
  {
    id: text("id").primaryKey(),
    versionId: text("version_id")
      .notNull()
      .references(() => cubeVersions.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: RUN_KINDS }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(1),
    report: jsonb("report").$type<Record<string, unknown>>().notNull().default({}),
    startedAt: ts("started_at").notNull().defaultNow(),
    finishedAt: ts("finished_at"),
  },
  (t) => [uniqueIndex("processing_runs_version_kind_uq").on(t.versionId, t.kind)],
);

export const listings = pgTable(
  "listings",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    cubeId: text("cube_id")
      .notNull()
      .references(() => cubes.id, { onDelete: "cascade" }),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull(),
    status: text("status", { enum: ["draft", "published", "suspended", "retired"] })
      .notNull()
      .default("draft"),
    pricing: jsonb("pricing")
      .$type<{ model: string; amount_cents?: number; currency?: string; interval?: string }>()
      .notNull(),
    terms: jsonb("terms").$type<Terms>().notNull().default({}),
    /** Serve each install a few canary facts of its own (see @memstore/watermark canary.ts). */
    canaries: boolean("canaries").notNull().default(false),
    /** How densely served text carries the subscriber's fingerprint marks. */
    marks: text("marks", { enum: MARK_DENSITIES }).notNull().default("light"),
    /** `request`: a buyer asks first (an access request) and acquires once the publisher approves. */
    access: text("access", { enum: ["open", "request"] })
      .notNull()
      .default("open"),
    /** Whether a signed-in buyer may try it first: a few questions a day, answered with snippets. */
    preview: boolean("preview").notNull().default(true),
    /** Its reviews' ratings, summed and counted as each is written (the average is one division). */
    ratingSum: integer("rating_sum").notNull().default(0),
    ratingCount: integer("rating_count").notNull().default(0),
    searchText: text("search_text").notNull().default(""),
    tsv: tsvector("tsv").generatedAlwaysAs(sql`to_tsvector('english', search_text)`),
    embedding: anyVector("embedding"),
    embeddingDim: integer("embedding_dim"),
    publishedAt: ts("published_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("listings_tsv_gin").using("gin", t.tsv),
    index("listings_status_idx").on(t.status, t.visibility),
    ...hnswByDimension("listings", "embedding", [384]),
  ],
);

export const entitlements = pgTable(
  "entitlements",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    source: text("source", { enum: ENTITLEMENT_SOURCES }).notNull(),
    state: text("state", { enum: ENTITLEMENT_STATES }).notNull().default("active"),
    validFrom: ts("valid_from").notNull().defaultNow(),
    validUntil: ts("valid_until"),
    /** A paid period's end: a subscription's renewal date, when its cancellation takes effect. */
    currentPeriodEnd: ts("current_period_end"),
    revokedAt: ts("revoked_at"),
    revokedReason: text("revoked_reason"),
    /** The Checkout Session that paid for it, when one did. */
    checkoutSessionId: text("checkout_session_id").unique(),
    /** The private offer it was acquired under: its terms, not the listing's, apply. */
    offerId: text("offer_id").references(() => offers.id, { onDelete: "set null" }),
    /** The provider's subscription behind a `subscription` entitlement: its state follows it. */
    stripeSubscriptionId: text("stripe_subscription_id").unique(),
    /** The subscriber canceled: it stays usable until `current_period_end`, then ends. */
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index("entitlements_org_listing_idx").on(t.orgId, t.listingId),
    // One live entitlement per organisation and listing, however many acquires, checkouts and
    // webhooks race: the second insert fails here, and its writer answers with the one held.
    uniqueIndex("entitlements_one_live_uq")
      .on(t.orgId, t.listingId)
      .where(sql`revoked_at is null and state in ('active', 'trialing', 'past_due')`),
  ],
);

export const vaults = pgTable(
  "vaults",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    namespaceKind: text("namespace_kind", { enum: ["org", "team", "agent", "user"] })
      .notNull()
      .default("org"),
    /** Fixed by the first embedded content; a vault never mixes dimensions. */
    embeddingDim: integer("embedding_dim"),
    /** Memories agents write are desensitised with `piiPolicy` before they are stored. */
    desensitiseOnWrite: boolean("desensitise_on_write").notNull().default(false),
    /** Operator per entity type (@memstore/privacy); empty means the default policy. */
    piiPolicy: jsonb("pii_policy").$type<Record<string, unknown>>().notNull().default({}),
    /** How long unused memories stay active, archived ones kept, expired ones' text kept; a cap. */
    retention: jsonb("retention").$type<RetentionPolicy>(),
    /** A frozen vault (legal hold, audit) takes no writes: since when, why, and who froze it. */
    frozenAt: ts("frozen_at"),
    frozenReason: text("frozen_reason"),
    frozenBy: text("frozen_by"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("vaults_org_name_uq").on(t.orgId, t.name)],
);

export const installs = pgTable(
  "installs",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    vaultId: text("vault_id")
      .notNull()
      .references(() => vaults.id, { onDelete: "cascade" }),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id),
    cubeId: text("cube_id")
      .notNull()
      .references(() => cubes.id),
    versionId: text("version_id")
      .notNull()
      .references(() => cubeVersions.id),
    versionPolicy: text("version_policy").notNull(),
    /** `suspended`: its entitlement stopped being active; search and downloads leave it out. */
    state: text("state", { enum: ["activated", "archived", "expired", "suspended"] })
      .notNull()
      .default("activated"),
    /** Why the install needs its owner's eye: the version it holds was yanked and nothing its policy allows replaces it. */
    notice: jsonb("notice").$type<InstallNotice>(),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    uninstalledAt: ts("uninstalled_at"),
  },
  (t) => [
    index("installs_vault_idx").on(t.vaultId),
    index("installs_version_idx").on(t.versionId),
    uniqueIndex("installs_vault_listing_live_uq")
      .on(t.vaultId, t.listingId)
      .where(sql`uninstalled_at is null`),
  ],
);

/**
 * An install's past: each version it held, from when until when (open while it holds it), and what
 * moved it there — a person or a key, an auto-update, a rollback, a yank. Rows are only added and
 * closed, never rewritten.
 */
export const installHistory = pgTable(
  "install_history",
  {
    id: text("id").primaryKey(),
    installId: text("install_id")
      .notNull()
      .references(() => installs.id, { onDelete: "cascade" }),
    versionId: text("version_id")
      .notNull()
      .references(() => cubeVersions.id),
    fromAt: ts("from_at").notNull().defaultNow(),
    toAt: ts("to_at"),
    movedBy: text("moved_by", { enum: ["user", "key", "auto_update", "yank", "rollback"] }).notNull(),
    /** Who: the user's or key's id, the event subscription's for an auto-update; null when unknown. */
    movedById: text("moved_by_id"),
  },
  (t) => [index("install_history_install_idx").on(t.installId, t.fromAt)],
);

/** Plaintext chunks of a cube version, stored once for every subscriber. */
export const chunks = pgTable(
  "chunks",
  {
    id: text("id").primaryKey(),
    versionId: text("version_id")
      .notNull()
      .references(() => cubeVersions.id, { onDelete: "cascade" }),
    cubeId: text("cube_id").notNull(),
    position: integer("position").notNull(),
    text: text("text").notNull(),
    heading: text("heading"),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    validFrom: ts("valid_from"),
    validUntil: ts("valid_until"),
    embedding: anyVector("embedding"),
    embeddingDim: integer("embedding_dim"),
    tsv: tsvector("tsv").generatedAlwaysAs(sql`to_tsvector('english', coalesce(heading, '') || ' ' || text)`),
  },
  (t) => [
    uniqueIndex("chunks_version_position_uq").on(t.versionId, t.position),
    index("chunks_tsv_gin").using("gin", t.tsv),
    // m = 12: every embedded chunk is an HNSW insert, the ingest's main cost, and fewer links make
    // it cheaper (bench/ingest, ef_construction 64 both: 1,912 → 2,833 rows/s on two connections,
    // one run) while recall holds (bench/search at 1M chunks: recall@10 0.980 at ef_search 200
    // against 0.984 with m = 16, and vector p95 13.7 → 10.6 ms).
    ...hnswByDimension("chunks", "embedding", [384, 768, 1024], 12),
  ],
);

/** An organisation's own memories; each row is one version, `memory_id` names the chain. */
export const memories = pgTable(
  "memories",
  {
    id: text("id").primaryKey(),
    memoryId: text("memory_id").notNull(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    vaultId: text("vault_id")
      .notNull()
      .references(() => vaults.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    supersedes: text("supersedes"),
    isCurrent: boolean("is_current").notNull().default(true),
    text: text("text").notNull(),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /** Forward only, per version: `active`, then `archived` (→ `expired`), or `merged` into another memory. */
    state: text("state", { enum: MEMORY_STATES }).notNull().default("active"),
    /** When this version stopped being active (archived, expired or merged): the time machine reads it. */
    inactiveAt: ts("inactive_at"),
    /** When a newer version replaced this one. */
    supersededAt: ts("superseded_at"),
    /** A merged memory: the memories it was made from. */
    mergedFrom: text("merged_from").array(),
    /** When it expired (its TTL ran out, or retention expired it from the archive). */
    expiredAt: ts("expired_at"),
    /** An expired version's text is purged after the retention's grace period; its digest stays. */
    purgedAt: ts("purged_at"),
    textSha256: text("text_sha256"),
    expiresAt: ts("expires_at"),
    embedding: anyVector("embedding"),
    embeddingDim: integer("embedding_dim"),
    tsv: tsvector("tsv").generatedAlwaysAs(sql`to_tsvector('english', text)`),
    createdBy: text("created_by"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("memories_memory_version_uq").on(t.memoryId, t.version),
    index("memories_vault_current_idx").on(t.vaultId, t.isCurrent),
    // The retention sweep walks a vault's current memories in id order, a batch at a time.
    index("memories_current_by_vault_idx")
      .on(t.vaultId, t.id)
      .where(sql`is_current`),
    // …and finds the active memories whose TTL ran out without walking the rest.
    index("memories_ttl_idx")
      .on(t.expiresAt)
      .where(sql`is_current and state = 'active' and expires_at is not null`),
    index("memories_tsv_gin").using("gin", t.tsv),
    ...hnswByDimension("memories", "embedding", [384, 768, 1024]),
  ],
);

/**
 * How often searches return each memory, and each installed section: counted in batches after the
 * searches (a search only notes its hits in memory), so heat costs a search nothing it waits for.
 */
export const memoryHeat = pgTable(
  "memory_heat",
  {
    memoryId: text("memory_id").primaryKey(),
    vaultId: text("vault_id")
      .notNull()
      .references(() => vaults.id, { onDelete: "cascade" }),
    accessCount: bigint("access_count", { mode: "number" }).notNull().default(0),
    lastAccessedAt: ts("last_accessed_at"),
  },
  (t) => [index("memory_heat_vault_idx").on(t.vaultId, t.accessCount)],
);

export const installHeat = pgTable(
  "install_heat",
  {
    installId: text("install_id")
      .notNull()
      .references(() => installs.id, { onDelete: "cascade" }),
    vaultId: text("vault_id").notNull(),
    /** The section (heading) of the installed text hit; empty for text under no heading. */
    section: text("section").notNull(),
    hits: bigint("hits", { mode: "number" }).notNull().default(0),
    lastHitAt: ts("last_hit_at"),
  },
  (t) => [
    primaryKey({ columns: [t.installId, t.section] }),
    index("install_heat_vault_idx").on(t.vaultId, t.hits),
  ],
);

/**
 * A context assembled for an agent (`POST …/context`): which passage each citation mark stands for,
 * so the agent's feedback can say which it used. Never the query. Kept for a week (a sweep).
 */
export const agentContexts = pgTable(
  "agent_contexts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    vaultId: text("vault_id")
      .notNull()
      .references(() => vaults.id, { onDelete: "cascade" }),
    /** Mark n is `passages[n - 1]`. */
    passages: jsonb("passages").$type<ContextPassage[]>().notNull(),
    /** When the agent said which passages it used: a context takes one answer. */
    feedbackAt: ts("feedback_at"),
    createdAt: createdAt(),
  },
  (t) => [index("agent_contexts_created_idx").on(t.createdAt)],
);

/** What a citation mark stands for: an installed chunk (its listing and section) or an own memory. */
export type ContextPassage =
  | { source: "install"; id: string; install_id: string; listing_id: string; section: string }
  | { source: "memory"; id: string };

/**
 * Which sections of a listing buyers' agents used, by their feedback on contexts: counts only,
 * summed over every organisation (no query, no buyer), for the publisher.
 */
export const sectionUse = pgTable(
  "section_use",
  {
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    /** The section (heading) used; empty for text under no heading. */
    section: text("section").notNull(),
    used: bigint("used", { mode: "number" }).notNull().default(0),
    /** Of those, in contexts the agent called helpful, and not. */
    helpful: bigint("helpful", { mode: "number" }).notNull().default(0),
    unhelpful: bigint("unhelpful", { mode: "number" }).notNull().default(0),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [primaryKey({ columns: [t.listingId, t.section] })],
);

/**
 * What a KV snapshot or LoRA pack is about, in passages a query is compared with when a context
 * routes modules: its title, description and tags, and the text it documents (a snapshot's prompt
 * read back through its base model's tokenizer, a pack's README), each with its embedding.
 */
export const modulePassages = pgTable(
  "module_passages",
  {
    versionId: text("version_id")
      .notNull()
      .references(() => cubeVersions.id, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    text: text("text").notNull(),
    embedding: anyVector("embedding").notNull(),
    embeddingDim: integer("embedding_dim").notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.n] })],
);

export const usageDaily = pgTable(
  "usage_daily",
  {
    orgId: text("org_id").notNull(),
    day: date("day").notNull(),
    /** Empty when the call was not about one install (e.g. a memory write). */
    installId: text("install_id").notNull().default(""),
    keyId: text("key_id").notNull().default(""),
    calls: integer("calls").notNull().default(0),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.installId, t.keyId] })],
);

/**
 * Agent calls counted against a listing's `calls_per_day`: per organisation (its entitlement to the
 * listing) and UTC day, across all its installs, vaults and keys; searches and payload downloads.
 */
export const licenseUsage = pgTable(
  "license_usage",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    day: date("day").notNull(),
    calls: integer("calls").notNull(),
    /** The `calls_per_day` that applied (the offer's or the listing's); null: counted, not limited. */
    callLimit: integer("call_limit"),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.listingId, t.day] })],
);

export const auditLog = pgTable(
  "audit_log",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    orgId: text("org_id").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    objectType: text("object_type").notNull(),
    objectId: text("object_id").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
  },
  (t) => [index("audit_log_org_seq_idx").on(t.orgId, t.seq)],
);

/**
 * An organisation's audit chain head as the platform signed it: the row `seq` whose hash was
 * `headHash` at `at`. Deleting rows up to that head, or editing any, no longer goes unnoticed.
 */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    /** The head row's seq; 0 for an organisation whose log is still empty. */
    seq: bigint("seq", { mode: "number" }).notNull(),
    headHash: text("head_hash").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
    keyId: text("key_id").notNull(),
    signature: text("signature").notNull(),
  },
  (t) => [index("audit_checkpoints_org_seq_idx").on(t.orgId, t.seq)],
);

/** A standing interest of a subscriber: what to watch, how to be told, what to install on its own. */
export const eventSubscriptions = pgTable(
  "event_subscriptions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    filter: jsonb("filter")
      .$type<{ listing_id?: string; tags?: string[]; types?: CubeType[]; query?: string }>()
      .notNull(),
    /** The filter's semantic query, embedded once at creation. */
    queryEmbedding: anyVector("query_embedding"),
    queryEmbeddingDim: integer("query_embedding_dim"),
    webhookUrl: text("webhook_url"),
    /** Signs webhook bodies (HMAC-SHA256); kept because signing needs it, never logged or shown again. */
    secret: text("secret").notNull(),
    sse: boolean("sse").notNull().default(false),
    autoInstallVaultId: text("auto_install_vault_id").references(() => vaults.id, { onDelete: "set null" }),
    autoInstallPolicy: text("auto_install_policy"),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    deletedAt: ts("deleted_at"),
  },
  (t) => [index("event_subscriptions_org_idx").on(t.orgId)],
);

/**
 * Events written in the same transaction as the change they announce; the fan-out job picks each
 * one up (`fanned_out_at` marks it done, so a crashed fan-out is simply run again).
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: text("id").notNull().unique(),
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    /** The organisation the event concerns; null for public store events. */
    orgId: text("org_id"),
    vaultId: text("vault_id"),
    listingId: text("listing_id"),
    /** The event subscription whose auto-install caused it, if any. */
    eventSubscriptionId: text("event_subscription_id"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
    fannedOutAt: ts("fanned_out_at"),
  },
  (t) => [
    index("outbox_events_pending_idx")
      .on(t.seq)
      .where(sql`fanned_out_at is null`),
  ],
);

/** What a vault's event stream (SSE) shows, in order; `seq` is the stream's Last-Event-ID. */
export const vaultEvents = pgTable(
  "vault_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    vaultId: text("vault_id")
      .notNull()
      .references(() => vaults.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("vault_events_vault_event_uq").on(t.vaultId, t.eventId),
    index("vault_events_vault_seq_idx").on(t.vaultId, t.seq),
  ],
);

/** One webhook delivery of one event to one subscription, with its attempts and outcome. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    eventSubscriptionId: text("event_subscription_id")
      .notNull()
      .references(() => eventSubscriptions.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    status: text("status", { enum: ["pending", "delivered", "dead"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: ts("delivered_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("webhook_deliveries_event_subscription_event_uq").on(t.eventSubscriptionId, t.eventId)],
);

/**
 * The base models binary cubes are validated against: the architecture numbers of their
 * `config.json`, the hash of their `tokenizer.json` (and the file, for turning text into tokens),
 * and optionally an ONNX decoder export (Optimum layout) for validation runs. A name belongs to the
 * organisation that registered it (its cubes are validated against it) or, registered by the
 * operator, to the platform (every organisation's cubes may use it).
 */
export const baseModels = pgTable(
  "base_models",
  {
    id: text("id").primaryKey(),
    /** As in `base_model_name_or_path` and a snapshot's `base_model`, e.g. `meta-llama/Llama-3.2-1B`. */
    name: text("name").notNull(),
    config: jsonb("config").$type<Record<string, unknown>>().notNull(),
    architecture: jsonb("architecture")
      .$type<{
        layers: number;
        hiddenSize: number;
        heads: number;
        kvHeads: number;
        headDim: number;
        intermediateSize: number;
        vocabSize: number;
      }>()
      .notNull(),
    tokenizerSha256: text("tokenizer_sha256").notNull(),
    tokenizerDigest: text("tokenizer_digest"),
    onnxDigest: text("onnx_digest"),
    onnxSize: bigint("onnx_size", { mode: "number" }),
    /** The organisation whose name it is; null: the platform's, registered by the operator. */
    registeredByOrgId: text("registered_by_org_id").references(() => organizations.id, {
      onDelete: "cascade",
    }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("base_models_owner_name_uq").on(sql`coalesce(${t.registeredByOrgId}, '')`, t.name)],
);

/** One row of each table, as queries return it: the only row types services use. */
/** An organisation's customer at the payment provider, made the first time it buys. */
export const billingCustomers = pgTable("billing_customers", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  stripeCustomerId: text("stripe_customer_id").notNull().unique(),
  createdAt: createdAt(),
});

/** The provider's product and price for a listing's pricing: a new price whenever the pricing changes. */
export const listingPrices = pgTable(
  "listing_prices",
  {
    id: text("id").primaryKey(),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    /** The pricing this price was made for, canonical JSON. */
    pricingKey: text("pricing_key").notNull(),
    stripeProductId: text("stripe_product_id").notNull(),
    stripePriceId: text("stripe_price_id").notNull(),
    /** A usage price's meter: the listing's agent calls, reported as meter events. */
    stripeMeterId: text("stripe_meter_id"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("listing_prices_listing_pricing_idx").on(t.listingId, t.pricingKey)],
);

/** A checkout begun: who buys which listing at what price; completed by the provider's webhook. */
/** A private offer: one organisation may see and acquire a listing at a price and terms of its own. */
export const offers = pgTable(
  "offers",
  {
    id: text("id").primaryKey(),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    /** The organisation the offer is made to. */
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    pricing: jsonb("pricing").$type<{ model: string; amount_cents?: number; currency?: string }>().notNull(),
    /** Terms of its own, else the listing's. */
    terms: jsonb("terms").$type<Terms>(),
    expiresAt: ts("expires_at"),
    createdAt: createdAt(),
  },
  (t) => [index("offers_org_listing_idx").on(t.orgId, t.listingId)],
);

/**
 * A buyer's request for a listing that is `access: "request"`: its message and purpose, and the
 * publisher's answer — approved (with a private offer, if it made one) or denied, with a reason.
 */
export const accessRequests = pgTable(
  "access_requests",
  {
    id: text("id").primaryKey(),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    /** The organisation asking. */
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    requestedBy: text("requested_by").notNull(),
    message: text("message").notNull(),
    purpose: text("purpose"),
    state: text("state", { enum: ["pending", "approved", "denied"] })
      .notNull()
      .default("pending"),
    decidedBy: text("decided_by"),
    decidedAt: ts("decided_at"),
    reason: text("reason"),
    offerId: text("offer_id").references(() => offers.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("access_requests_listing_idx").on(t.listingId, t.createdAt),
    index("access_requests_org_idx").on(t.orgId, t.createdAt),
    uniqueIndex("access_requests_pending_uq")
      .on(t.orgId, t.listingId)
      .where(sql`state = 'pending'`),
  ],
);

export const checkouts = pgTable(
  "checkouts",
  {
    /** The provider's Checkout Session id. */
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    mode: text("mode", { enum: ["payment", "subscription"] }).notNull(),
    /** The private offer it buys under, if any: its entitlement's source is then `offer`. */
    offerId: text("offer_id").references(() => offers.id, { onDelete: "set null" }),
    amountCents: bigint("amount_cents", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    feeCents: bigint("fee_cents", { mode: "number" }).notNull(),
    status: text("status", { enum: ["open", "complete", "expired"] })
      .notNull()
      .default("open"),
    /** Where the buyer pays, and until when: an acquire while it is open answers the same session. */
    url: text("url"),
    expiresAt: ts("expires_at"),
    createdAt: createdAt(),
    completedAt: ts("completed_at"),
  },
  (t) => [index("checkouts_org_listing_idx").on(t.orgId, t.listingId)],
);

/** Every provider event received (verified), applied at most once: a replay finds its row. */
export const paymentEvents = pgTable("payment_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  receivedAt: ts("received_at").notNull().defaultNow(),
  appliedAt: ts("applied_at"),
  /** What applying it did: "entitlement ent_… granted", "ignored: unknown checkout cs_…". */
  outcome: text("outcome"),
});

/** A payment received for a listing: what the buyer paid and the platform's fee, in minor units. */
export const sales = pgTable(
  "sales",
  {
    id: text("id").primaryKey(),
    listingId: text("listing_id")
      .notNull()
      .references(() => listings.id, { onDelete: "cascade" }),
    sellerOrgId: text("seller_org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    buyerOrgId: text("buyer_org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    entitlementId: text("entitlement_id").references(() => entitlements.id, { onDelete: "set null" }),
    amountCents: bigint("amount_cents", { mode: "number" }).notNull(),
    feeCents: bigint("fee_cents", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    /** The provider's payment (a PaymentIntent or an invoice): one sale per payment. */
    providerPaymentId: text("provider_payment_id").notNull().unique(),
    /** The provider's refund, when the sale was refunded (a revocation with `refund`). */
    refundId: text("refund_id"),
    refundedAt: ts("refunded_at"),
    /** The publisher's payout account the sale's share went to (a destination charge), if any. */
    destinationAccount: text("destination_account"),
    createdAt: createdAt(),
  },
  (t) => [index("sales_seller_idx").on(t.sellerOrgId, t.createdAt)],
);

/**
 * The calls of a usage-priced entitlement's month pushed to the provider as meter events: each push
 * sends only what is billable past this count, so a retry or a second worker sends nothing twice.
 */
export const usagePushes = pgTable(
  "usage_pushes",
  {
    entitlementId: text("entitlement_id")
      .notNull()
      .references(() => entitlements.id, { onDelete: "cascade" }),
    /** The UTC month, YYYY-MM. */
    month: text("month").notNull(),
    calls: bigint("calls", { mode: "number" }).notNull().default(0),
    reportedCalls: bigint("reported_calls", { mode: "number" }).notNull().default(0),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.entitlementId, t.month] })],
);

/** A publisher's payout account at the provider (Stripe Connect Express), as its last update said. */
export const payoutAccounts = pgTable("payout_accounts", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  stripeAccountId: text("stripe_account_id").notNull().unique(),
  chargesEnabled: boolean("charges_enabled").notNull().default(false),
  payoutsEnabled: boolean("payouts_enabled").notNull().default(false),
  detailsSubmitted: boolean("details_submitted").notNull().default(false),
  createdAt: createdAt(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export type OrganizationRow = typeof organizations.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type CubeRow = typeof cubes.$inferSelect;
export type VersionRow = typeof cubeVersions.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;
export type VersionEvalRow = typeof versionEvals.$inferSelect;
export type RunRow = typeof processingRuns.$inferSelect;
export type ListingRow = typeof listings.$inferSelect;
export type EntitlementRow = typeof entitlements.$inferSelect;
export type CheckoutRow = typeof checkouts.$inferSelect;
export type SaleRow = typeof sales.$inferSelect;
export type VaultRow = typeof vaults.$inferSelect;
export type InstallRow = typeof installs.$inferSelect;
export type ChunkRow = typeof chunks.$inferSelect;
export type NewChunkRow = typeof chunks.$inferInsert;
export type MemoryRow = typeof memories.$inferSelect;
export type AuditLogRow = typeof auditLog.$inferSelect;
export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;
export type AccessRequestRow = typeof accessRequests.$inferSelect;
export type EventSubscriptionRow = typeof eventSubscriptions.$inferSelect;
export type OutboxEventRow = typeof outboxEvents.$inferSelect;
export type EventType = OutboxEventRow["type"];
export type BaseModelRow = typeof baseModels.$inferSelect;
export type OfferRow = typeof offers.$inferSelect;
export type ReviewRow = typeof reviews.$inferSelect;

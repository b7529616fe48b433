/** What the REST API answers, as the client returns it, and how it fails. */

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [key: string]: unknown;
};

export class MemStoreApiError extends Error {
  override readonly name = "MemStoreApiError";
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.code}: ${problem.detail}`);
  }
  get code(): string {
    return this.problem.code;
  }
}

/** An event subscription: which store events reach the organisation, how, and what it installs on them. */
export type EventSubscription = {
  id: string;
  filter: { listing_id?: string; tags?: string[]; types?: string[]; query?: string };
  delivery: { webhook_url: string | null; sse: boolean };
  auto_install: { vault_id: string; version_policy: string } | null;
  created_at: string;
};
/** @deprecated the event subscription's old name: use EventSubscription. */
export type Subscription = EventSubscription;

export type Page<T> = { items: T[]; next_cursor: string | null };
export type Run = {
  kind: string;
  status: string;
  attempts: number;
  report: Record<string, unknown>;
  started_at: string;
  finished_at: string | null;
};
export type Cube = {
  id: string;
  slug: string;
  type: string;
  title: string;
  description: string;
  tags: string[];
};
export type Version = {
  id: string;
  cube_id: string;
  version: string;
  status: "draft" | "processing" | "ready" | "rejected";
  manifest: Record<string, unknown>;
  digest: string | null;
  size: number | null;
  signature: string | null;
  content_type: string | null;
  /** A yanked version's tombstone: it cannot be installed; null while it stands. */
  yanked: Yanked | null;
  /** Held by its evaluation until its publisher releases it (recall fell by more than allowed); null otherwise. */
  held: Held | null;
  /** Measured on the publisher's questions; null when it had none (or is not plaintext). */
  evaluation: Evaluation | null;
  runs: Run[];
  upload_url?: string;
};
/** When a version was yanked, why, and how bad (`critical` suspends installs left on it). */
export type Yanked = { at: string; reason: string; severity: "normal" | "critical" };
export type Held = { at: string; reason: string };
/** Retrieval figures of a set of questions against one version. */
export type RetrievalFigures = {
  questions: number;
  recall_at_5: number;
  mrr_at_10: number;
  answered: number;
};
/**
 * A version's measured quality: its figures, the version before's on the same questions, and (to
 * its publisher) each question's rank (from 1; null when no right chunk was in the first ten).
 */
export type Evaluation = RetrievalFigures & {
  previous?: RetrievalFigures & { version: string };
  inherited_from?: string;
  by_question?: Array<{ question: string; rank: number | null; section: string | null }>;
};
/** What is installed in a vault: the cube (its type and publisher), the version, its state. */
export type Install = {
  id: string;
  vault_id: string;
  listing_id: string;
  version: string;
  version_policy: string;
  /** A newer ready version: the newest the policy allows, else the newest (`allowed_by_policy: false`); null when none. */
  update_available: { version: string; allowed_by_policy: boolean } | null;
  state: "activated" | "suspended" | "expired" | "archived";
  /** The version it holds was yanked and its policy allows no other: kept (`normal`) or suspended (`critical`). */
  notice?: {
    code: "version_yanked";
    version: string;
    reason: string;
    severity: "normal" | "critical";
    at: string;
  };
  cube: { id: string; slug: string; type: "plaintext" | "activation" | "parametric"; publisher: string };
  created_at: string;
  updated_at: string;
};
/** One version an install held: from when, until when (none while it holds it), and what moved it there. */
export type InstallHistoryEntry = {
  version: string;
  from: string;
  to: string | null;
  moved_by: { kind: "user" | "key" | "auto_update" | "yank" | "rollback"; id?: string };
};
/** What changed between two versions of an installed cube. */
export type InstallDiff = {
  from: string;
  to: string;
  /** The changelog of each version after the lower of the two, up to the higher, newest first. */
  changelog: Array<{ version: string; changelog: string | null }>;
  sections: Array<{ title: string; change: "added" | "removed" | "changed" }>;
  chunks: { added: number; removed: number; changed: number; unchanged: number };
  /** Each version's report of the stage, where either has one. */
  reports: {
    desensitise?: { from: Record<string, unknown> | null; to: Record<string, unknown> | null };
    validation?: { from: Record<string, unknown> | null; to: Record<string, unknown> | null };
  };
};
export type Listing = {
  id: string;
  cube_id: string;
  status: string;
  visibility: string;
  pricing: Record<string, unknown>;
  terms: Record<string, unknown>;
  /** Whether each install is served canary facts of its own (plaintext). */
  canaries: boolean;
  /** How densely served text carries the subscriber's invisible fingerprint marks (plaintext). */
  marks: "off" | "light" | "dense";
  /** `request`: buyers ask first (an access request) and acquire once approved. */
  access: "open" | "request";
  /** Whether signed-in buyers may try it first (`tryListing`). */
  preview: boolean;
  /** Its reviews' average rating (null before the first) and how many there are. */
  rating: Rating;
};
export type Rating = { average: number | null; count: number };
/** An organisation's review of a listing, with the publisher's reply. */
export type Review = {
  id: string;
  listing_id: string;
  rating: number;
  title: string;
  body: string;
  organization: { slug: string; name: string };
  /** The reviewing organisation holds the listing now. */
  verified_holder: boolean;
  reply: { body: string; replied_at: string } | null;
  /** The caller's organisation wrote it. */
  mine: boolean;
  /** How many organisations reported it: shown to the listing's publisher and the reviewer only. */
  reports?: number;
  created_at: string;
  updated_at: string;
};
/** What an organisation's publisher page and profile say of it. */
export type Profile = {
  slug: string;
  name: string;
  about: string;
  website: string | null;
  joined_at: string;
};
/** A publisher's public page: its profile, its listings in the store, their installs and rating. */
export type PublisherPage = Profile & {
  listings: Array<StoreCard>;
  installs: number;
  rating: Rating;
};
/** A listing as a card of the store (or of a publisher's page) shows it: its cube, its publisher, its installs. */
export type StoreCard = Listing & {
  cube: { id: string; slug: string; type: "plaintext" | "activation" | "parametric"; title: string };
  publisher: { id: string; slug: string; name: string };
  /** The newest version that can be installed (yanked and held ones are left out). */
  latest_version: string | null;
  installs: number;
} & Record<string, unknown>;
/**
 * A listing as the store shows it: its cube, its publisher and every ready version, yanked ones
 * with their tombstone (a version its evaluation held shows to its publisher alone).
 */
export type StoreListing = StoreCard & {
  versions: Array<{
    version: string;
    changelog: string | null;
    ready_at: string | null;
    yanked: Yanked | null;
    held: Held | null;
    /** Measured on the publisher's questions (totals; the questions one by one are the publisher's). */
    evaluation: Evaluation | null;
    runs: Run[];
  }>;
  /** The caller's organisation publishes it. */
  own: boolean;
} & Record<string, unknown>;
export type Vault = {
  id: string;
  name: string;
  namespace_kind: "org" | "team" | "agent" | "user";
  embedding_dimension: number | null;
  desensitise_on_write: boolean;
  /** An operator per entity type (its name, or the operator with its options); empty: the default policy. */
  pii_policy: Record<string, unknown>;
  /** Its retention policy (null: none; memories' own TTLs still apply). */
  retention: {
    archive_unused_after_days?: number;
    expire_archived_after_days?: number;
    purge_expired_after_days?: number;
    max_memories?: number;
  } | null;
  /** A frozen vault takes no writes (`423 vault_frozen`): since when, why, who froze it; null otherwise. */
  frozen: { at: string; reason: string; by: string } | null;
  created_at: string;
};
export type SearchResult = {
  id: string;
  text: string;
  score: number;
  source: "install" | "memory";
  cube?: { id: string; slug: string; version: string; publisher: string; install_id: string };
  metadata: Record<string, unknown>;
};
/** What a context's citation mark `[n]` stands for: an installed passage (its cube and section) or an own memory. */
export type Citation = {
  n: number;
  source: "install" | "memory";
  install_id?: string;
  cube?: { slug: string; version: string; publisher: string };
  section?: string;
  memory_id?: string;
};
/** An installed KV snapshot or LoRA pack that fits a context's query, with a five-minute download link. */
export type RoutedModule = {
  install_id: string;
  type: "activation" | "parametric";
  base_model: string;
  /** Its best passage's cosine similarity to the query. */
  relevance: number;
  link: { url: string; expires_at: string };
};
/** A context to paste as it is: at most `max_tokens` tokens, each passage behind its mark. */
export type AgentContext = {
  /** For feedback on which passages the agent used. */
  id: string;
  context: string;
  /** The block's tokens in the tokenizer asked for. */
  tokens: number;
  citations: Citation[];
  modules: RoutedModule[];
  excluded: Array<{ install_id: string; code: "purpose_not_licensed" | "share_cap" }>;
};
/** How buyers' agents used one section of a listing, summed over every buyer. */
export type SectionUse = {
  section: string;
  used: number;
  helpful: number;
  unhelpful: number;
  last_used_at: string | null;
};
export type Memory = {
  id: string;
  version: number;
  text: string;
  tags: string[];
  metadata: Record<string, unknown>;
  /** `active` (searched), `archived`, `expired` or `merged` (into the memory that names it in `merged_from`). */
  state: "active" | "archived" | "expired" | "merged";
  /** A merged memory: the memories it was made from. */
  merged_from?: string[];
  /** How often searches returned it, and when last (null: never). */
  access_count: number;
  last_accessed_at: string | null;
};

export type UploadBody = ReadableStream<Uint8Array> | Uint8Array | string | AsyncIterable<Uint8Array>;

export type TraceResult = {
  matches: Array<{
    org_id: string;
    install_id: string;
    confidence: number;
    cube_id: string;
    version: string;
    /** What matched: invisible marks agreeing with the copy's code, canary terms found in the words. */
    evidence: Array<
      | { kind: "fingerprint"; marks: number; agreeing: number }
      | { kind: "canary"; terms: string[] }
      | { kind: "weights"; correlation: number; elements: number }
    >;
  }>;
  marked: boolean;
  /** Distinct fingerprint marks read. */
  marks: number;
  detail: string;
};
/** An organisation's audit chain head as the platform signed it (ed25519 over the canonical statement). */
export type AuditCheckpoint = {
  seq: number;
  head_hash: string;
  at: string;
  key_id: string;
  signature: string;
};
/** `GET /api/v1/audit/checkpoints`: the organisation's checkpoints, oldest first, and the key that signed them. */
export type AuditCheckpoints = {
  org_id: string;
  platform_key: { alg: "ed25519"; key_id: string; public_key: string };
  items: AuditCheckpoint[];
};
/** `GET /api/v1/vaults/{vault_id}/heat`: what searches return, counted in batches. */
export type VaultHeat = {
  order: "hottest" | "coldest";
  memories: Array<{ id: string; access_count: number; last_accessed_at: string | null }>;
  installs: Array<{ install_id: string; section: string; hits: number; last_hit_at: string | null }>;
};

import { type CubeType, type RetrievalFigures, updateAvailable } from "@memstore/core";
import type { CubeRow, InstallRow, ListingRow, MemoryRow, RunRow, VaultRow, VersionRow } from "@memstore/db";

/** Rows → the snake_case shapes of the REST contract. One place, so every transport agrees. */
const iso = (d: Date | null) => d?.toISOString() ?? null;

export function cubeView(c: CubeRow) {
  return {
    id: c.id,
    org_id: c.orgId,
    slug: c.slug,
    type: c.type,
    title: c.title,
    description: c.description,
    tags: c.tags,
    created_at: c.createdAt.toISOString(),
  };
}

export function runView(r: RunRow) {
  return {
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    report: r.report,
    started_at: r.startedAt.toISOString(),
    finished_at: iso(r.finishedAt),
  };
}

export function versionView(v: VersionRow, runs: RunRow[] = []) {
  return {
    id: v.id,
    cube_id: v.cubeId,
    version: v.version,
    status: v.status,
    manifest: v.manifest,
    digest: v.digest,
    size: v.size,
    content_type: v.contentType,
    signature: v.signature,
    embedding: v.embeddingDim ? { model: v.embeddingModel, dimension: v.embeddingDim } : null,
    created_at: v.createdAt.toISOString(),
    submitted_at: iso(v.submittedAt),
    ready_at: iso(v.readyAt),
    yanked: yankView(v),
    held: heldView(v),
    /** The publisher's view: the figures with each question's rank. */
    evaluation: evaluationSummary(
      runs.find((r) => r.kind === "evaluate"),
      true,
    ),
    runs: runs.map(runView),
  };
}

/** A version its evaluation held: since when and why; null for one that is released (or never held). */
export function heldView(v: Pick<VersionRow, "heldAt" | "heldReason">) {
  if (!v.heldAt) return null;
  return { at: v.heldAt.toISOString(), reason: v.heldReason ?? "" };
}

type EvaluationReport = Partial<RetrievalFigures> & {
  previous?: (RetrievalFigures & { version: string }) | null;
  inherited_from?: string;
  by_question?: Array<{ question: string; rank: number | null; section: string | null }>;
};

/**
 * A version's measured quality from its `evaluate` run: the figures, the version before's on the
 * same questions, and (for its publisher, `withQuestions`) each question's rank. Null when it was
 * not evaluated (no questions, not plaintext, not yet run).
 */
export function evaluationSummary(run: RunRow | undefined, withQuestions: boolean) {
  if (!run || run.status !== "succeeded") return null;
  const r = run.report as EvaluationReport;
  if (r.questions === undefined) return null;
  return {
    questions: r.questions,
    recall_at_5: r.recall_at_5 ?? 0,
    mrr_at_10: r.mrr_at_10 ?? 0,
    answered: r.answered ?? 0,
    ...(r.previous && { previous: r.previous }),
    ...(r.inherited_from && { inherited_from: r.inherited_from }),
    ...(withQuestions && { by_question: r.by_question ?? [] }),
  };
}

/** A yanked version's tombstone: when, why and how bad; null for a version that stands. */
export function yankView(v: Pick<VersionRow, "yankedAt" | "yankReason" | "yankSeverity">) {
  if (!v.yankedAt) return null;
  return { at: v.yankedAt.toISOString(), reason: v.yankReason ?? "", severity: v.yankSeverity ?? "normal" };
}

export function listingView(l: ListingRow) {
  return {
    id: l.id,
    org_id: l.orgId,
    cube_id: l.cubeId,
    visibility: l.visibility,
    status: l.status,
    pricing: l.pricing,
    terms: l.terms,
    canaries: l.canaries,
    marks: l.marks,
    access: l.access,
    preview: l.preview,
    /** Its reviews' ratings: the average to two decimals (null before the first), and how many. */
    rating: {
      average: l.ratingCount > 0 ? Math.round((l.ratingSum * 100) / l.ratingCount) / 100 : null,
      count: l.ratingCount,
    },
    published_at: iso(l.publishedAt),
    created_at: l.createdAt.toISOString(),
  };
}

export function vaultView(v: VaultRow) {
  return {
    id: v.id,
    name: v.name,
    namespace_kind: v.namespaceKind,
    embedding_dimension: v.embeddingDim,
    desensitise_on_write: v.desensitiseOnWrite,
    pii_policy: v.piiPolicy,
    retention: v.retention,
    frozen: frozenView(v),
    created_at: v.createdAt.toISOString(),
  };
}

/** A frozen vault's hold: since when, why, and who froze it; null while it takes writes. */
export function frozenView(v: Pick<VaultRow, "frozenAt" | "frozenReason" | "frozenBy">) {
  if (!v.frozenAt) return null;
  return { at: v.frozenAt.toISOString(), reason: v.frozenReason ?? "", by: v.frozenBy ?? "" };
}

/** An install as the API shows it; `ready` is every ready version of its cube (what it could move to). */
export function installView(
  i: InstallRow,
  cube: { id: string; slug: string; type: CubeType; publisher: string },
  version: string,
  ready: readonly string[],
) {
  return {
    id: i.id,
    vault_id: i.vaultId,
    listing_id: i.listingId,
    cube,
    version,
    version_policy: i.versionPolicy,
    update_available: updateAvailable(i.versionPolicy, version, ready),
    state: i.state,
    ...(i.notice && { notice: i.notice }),
    created_at: i.createdAt.toISOString(),
    updated_at: i.updatedAt.toISOString(),
  };
}

/** A memory; `heat`, how often searches returned it (none yet when left out). */
export function memoryView(m: MemoryRow, heat?: { accessCount: number; lastAccessedAt: Date | null }) {
  return {
    id: m.memoryId,
    vault_id: m.vaultId,
    version: m.version,
    text: m.text,
    tags: m.tags,
    metadata: m.metadata,
    state: m.state,
    ...(m.mergedFrom && { merged_from: m.mergedFrom }),
    access_count: heat?.accessCount ?? 0,
    last_accessed_at: iso(heat?.lastAccessedAt ?? null),
    expires_at: iso(m.expiresAt),
    created_at: m.createdAt.toISOString(),
  };
}

/** One version of a memory's history; a purged version shows the SHA-256 of the text it held. */
export function memoryVersionView(m: MemoryRow) {
  return {
    ...memoryView(m),
    revision_id: m.id,
    supersedes: m.supersedes,
    is_current: m.isCurrent,
    ...(m.purgedAt && { purged_at: m.purgedAt.toISOString(), text_sha256: m.textSha256 }),
  };
}

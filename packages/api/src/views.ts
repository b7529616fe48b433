import type { cubes, cubeVersions, installs, listings, memories, processingRuns, vaults } from "@memstore/db";

/** Rows → the snake_case shapes of the REST contract. One place, so every transport agrees. */
type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];
const iso = (d: Date | null) => d?.toISOString() ?? null;

export function cubeView(c: Row<typeof cubes>) {
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

export function runView(r: Row<typeof processingRuns>) {
  return {
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    report: r.report,
    started_at: r.startedAt.toISOString(),
    finished_at: iso(r.finishedAt),
  };
}

export function versionView(v: Row<typeof cubeVersions>, runs: Row<typeof processingRuns>[] = []) {
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
    runs: runs.map(runView),
  };
}

export function listingView(l: Row<typeof listings>) {
  return {
    id: l.id,
    org_id: l.orgId,
    cube_id: l.cubeId,
    visibility: l.visibility,
    status: l.status,
    pricing: l.pricing,
    terms: l.terms,
    canaries: l.canaries,
    published_at: iso(l.publishedAt),
    created_at: l.createdAt.toISOString(),
  };
}

export function vaultView(v: Row<typeof vaults>) {
  return {
    id: v.id,
    name: v.name,
    namespace_kind: v.namespaceKind,
    embedding_dimension: v.embeddingDim,
    desensitise_on_write: v.desensitiseOnWrite,
    pii_policy: v.piiPolicy,
    created_at: v.createdAt.toISOString(),
  };
}

export function installView(
  i: Row<typeof installs>,
  cube: { id: string; slug: string; type: string; publisher: string },
  version: string,
) {
  return {
    id: i.id,
    vault_id: i.vaultId,
    listing_id: i.listingId,
    cube,
    version,
    version_policy: i.versionPolicy,
    state: i.state,
    created_at: i.createdAt.toISOString(),
    updated_at: i.updatedAt.toISOString(),
  };
}

export function memoryView(m: Row<typeof memories>) {
  return {
    id: m.memoryId,
    vault_id: m.vaultId,
    version: m.version,
    text: m.text,
    tags: m.tags,
    metadata: m.metadata,
    state: m.state,
    expires_at: iso(m.expiresAt),
    created_at: m.createdAt.toISOString(),
  };
}

export function memoryVersionView(m: Row<typeof memories>) {
  return { ...memoryView(m), revision_id: m.id, supersedes: m.supersedes, is_current: m.isCurrent };
}

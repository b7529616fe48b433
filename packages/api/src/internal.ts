/**
 * Not part of the services' surface: the SQL the vault search builds, for the tests that EXPLAIN its
 * plans and the benchmark that measures them (`@memstore/api/internal`).
 */
export { cosineDistance, KEYWORD_CANDIDATES } from "./search/query.ts";
export { fusedHybridHits } from "./search/search-hybrid.ts";
export { keywordHitsAllThenAny, keywordStatement } from "./search/search-keyword.ts";
export {
  chunkVectorStatement,
  EXACT_SCAN_MAX_CHUNKS,
  exactVectorStatement,
  type Scope,
  scopeFilters,
  vectorHits,
  type VisibleVersion,
} from "./search/queries.ts";
/** The entitlement lifecycle's one writer, for the test that walks every move its table allows and forbids. */
export { grantEntitlement, moveEntitlement } from "./entitlements/lifecycle.ts";

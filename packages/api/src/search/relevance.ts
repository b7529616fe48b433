import type { AppContext } from "../kernel/context.ts";

/**
 * The cosine similarity a text must reach to a query to count as about it, where an operator set
 * none: the built-in hashed embedder scores related texts 0.41–0.57 and unrelated ones below 0.1;
 * sentence-embedding models score everything higher (0.75 is a start for MiniLM and bge-small).
 * Used by the store's search (a listing found by meaning) and a context's module routing.
 */
const HASHED_EMBEDDER_FLOOR = 0.3;
const MODEL_FLOOR = 0.75;

export function relevanceFloor(ctx: AppContext, configured: number | undefined): number {
  return configured ?? (ctx.embedder.model.startsWith("hash-") ? HASHED_EMBEDDER_FLOOR : MODEL_FLOOR);
}

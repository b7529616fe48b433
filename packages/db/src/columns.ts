import { customType } from "drizzle-orm/pg-core";

/**
 * A pgvector column without a fixed dimension: the embedding model decides it and it is recorded
 * next to the vector (`embedding_dim`). HNSW indexes are partial expression indexes per dimension
 * (see the schema), the layout pgvector recommends for mixed dimensions.
 */
export const anyVector = customType<{ data: number[]; driverData: string }>({
  dataType: () => "vector",
  toDriver: (value) => `[${value.join(",")}]`,
  fromDriver: (value) => JSON.parse(value) as number[],
});

export const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** The dimensions that get an HNSW index: MiniLM/bge-small (384), bge-base (768), bge-large (1024). */
export const INDEXED_DIMENSIONS = [384, 768, 1024] as const;

export function toVectorLiteral(values: ArrayLike<number>): string {
  return `[${Array.from(values, (v) => (Number.isFinite(v) ? v : 0)).join(",")}]`;
}

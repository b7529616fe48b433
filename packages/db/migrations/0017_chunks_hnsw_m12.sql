-- The chunks' HNSW indexes rebuilt with m = 12 (pgvector's default is 16): cheaper inserts at
-- ingest for the same recall (bench/ingest, bench/search). A store of a million chunks takes minutes
-- here; give the migrating session maintenance_work_mem enough to hold the graph (about 2 GB).
DROP INDEX "chunks_embedding_384_hnsw";--> statement-breakpoint
DROP INDEX "chunks_embedding_768_hnsw";--> statement-breakpoint
DROP INDEX "chunks_embedding_1024_hnsw";--> statement-breakpoint
CREATE INDEX "chunks_embedding_384_hnsw" ON "chunks" USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m=12,ef_construction=64) WHERE embedding_dim = 384;--> statement-breakpoint
CREATE INDEX "chunks_embedding_768_hnsw" ON "chunks" USING hnsw ((embedding::vector(768)) vector_cosine_ops) WITH (m=12,ef_construction=64) WHERE embedding_dim = 768;--> statement-breakpoint
CREATE INDEX "chunks_embedding_1024_hnsw" ON "chunks" USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WITH (m=12,ef_construction=64) WHERE embedding_dim = 1024;
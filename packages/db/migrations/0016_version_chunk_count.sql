ALTER TABLE "cube_versions" ADD COLUMN "chunk_count" integer;--> statement-breakpoint
UPDATE "cube_versions" v SET "chunk_count" = (SELECT count(*) FROM "chunks" c WHERE c."version_id" = v."id") WHERE v."manifest"->>'type' = 'plaintext';

CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"vault_id" text,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_prefix_unique" UNIQUE("prefix")
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" text PRIMARY KEY NOT NULL,
	"version_id" text NOT NULL,
	"role" text NOT NULL,
	"for_org_id" text DEFAULT '' NOT NULL,
	"digest" text NOT NULL,
	"size" bigint NOT NULL,
	"content_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"object_type" text NOT NULL,
	"object_id" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chunks" (
	"id" text PRIMARY KEY NOT NULL,
	"version_id" text NOT NULL,
	"cube_id" text NOT NULL,
	"position" integer NOT NULL,
	"text" text NOT NULL,
	"heading" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"valid_from" timestamp with time zone,
	"valid_until" timestamp with time zone,
	"embedding" vector,
	"embedding_dim" integer,
	"tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', coalesce(heading, '') || ' ' || text)) STORED
);
--> statement-breakpoint
CREATE TABLE "cube_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"cube_id" text NOT NULL,
	"org_id" text NOT NULL,
	"version" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"manifest" jsonb NOT NULL,
	"digest" text,
	"size" bigint,
	"content_type" text,
	"signature" text,
	"parent_id" text,
	"embedding_model" text,
	"embedding_dim" integer,
	"submitted_at" timestamp with time zone,
	"ready_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cubes" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"slug" text NOT NULL,
	"type" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "entitlements" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"source" text NOT NULL,
	"valid_from" timestamp with time zone DEFAULT now() NOT NULL,
	"valid_until" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "installs" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"vault_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"cube_id" text NOT NULL,
	"version_id" text NOT NULL,
	"version_policy" text NOT NULL,
	"state" text DEFAULT 'activated' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"uninstalled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "listings" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"cube_id" text NOT NULL,
	"visibility" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"pricing" jsonb NOT NULL,
	"terms" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"search_text" text DEFAULT '' NOT NULL,
	"tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED,
	"embedding" vector,
	"embedding_dim" integer,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"org_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_org_id_user_id_pk" PRIMARY KEY("org_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "memories" (
	"id" text PRIMARY KEY NOT NULL,
	"memory_id" text NOT NULL,
	"org_id" text NOT NULL,
	"vault_id" text NOT NULL,
	"version" integer NOT NULL,
	"supersedes" text,
	"is_current" boolean DEFAULT true NOT NULL,
	"text" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'activated' NOT NULL,
	"expires_at" timestamp with time zone,
	"embedding" vector,
	"embedding_dim" integer,
	"tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "processing_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"version_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"report" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "usage_daily" (
	"org_id" text NOT NULL,
	"day" date NOT NULL,
	"install_id" text DEFAULT '' NOT NULL,
	"key_id" text DEFAULT '' NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_daily_org_id_day_install_id_key_id_pk" PRIMARY KEY("org_id","day","install_id","key_id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "vaults" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"namespace_kind" text DEFAULT 'org' NOT NULL,
	"embedding_dim" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chunks" ADD CONSTRAINT "chunks_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cube_versions" ADD CONSTRAINT "cube_versions_cube_id_cubes_id_fk" FOREIGN KEY ("cube_id") REFERENCES "public"."cubes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cubes" ADD CONSTRAINT "cubes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installs" ADD CONSTRAINT "installs_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installs" ADD CONSTRAINT "installs_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installs" ADD CONSTRAINT "installs_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installs" ADD CONSTRAINT "installs_cube_id_cubes_id_fk" FOREIGN KEY ("cube_id") REFERENCES "public"."cubes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installs" ADD CONSTRAINT "installs_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_cube_id_cubes_id_fk" FOREIGN KEY ("cube_id") REFERENCES "public"."cubes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "processing_runs" ADD CONSTRAINT "processing_runs_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vaults" ADD CONSTRAINT "vaults_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_org_idx" ON "api_keys" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "artifacts_version_role_org_uq" ON "artifacts" USING btree ("version_id","role","for_org_id");--> statement-breakpoint
CREATE INDEX "audit_log_org_seq_idx" ON "audit_log" USING btree ("org_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "chunks_version_position_uq" ON "chunks" USING btree ("version_id","position");--> statement-breakpoint
CREATE INDEX "chunks_tsv_gin" ON "chunks" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "chunks_embedding_384_hnsw" ON "chunks" USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384;--> statement-breakpoint
CREATE INDEX "chunks_embedding_768_hnsw" ON "chunks" USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE embedding_dim = 768;--> statement-breakpoint
CREATE INDEX "chunks_embedding_1024_hnsw" ON "chunks" USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE embedding_dim = 1024;--> statement-breakpoint
CREATE UNIQUE INDEX "cube_versions_cube_version_uq" ON "cube_versions" USING btree ("cube_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "cubes_org_slug_uq" ON "cubes" USING btree ("org_id","slug");--> statement-breakpoint
CREATE INDEX "entitlements_org_listing_idx" ON "entitlements" USING btree ("org_id","listing_id");--> statement-breakpoint
CREATE INDEX "installs_vault_idx" ON "installs" USING btree ("vault_id");--> statement-breakpoint
CREATE UNIQUE INDEX "installs_vault_listing_live_uq" ON "installs" USING btree ("vault_id","listing_id") WHERE uninstalled_at is null;--> statement-breakpoint
CREATE INDEX "listings_tsv_gin" ON "listings" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "listings_status_idx" ON "listings" USING btree ("status","visibility");--> statement-breakpoint
CREATE INDEX "listings_embedding_384_hnsw" ON "listings" USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384;--> statement-breakpoint
CREATE UNIQUE INDEX "memories_memory_version_uq" ON "memories" USING btree ("memory_id","version");--> statement-breakpoint
CREATE INDEX "memories_vault_current_idx" ON "memories" USING btree ("vault_id","is_current");--> statement-breakpoint
CREATE INDEX "memories_tsv_gin" ON "memories" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "memories_embedding_384_hnsw" ON "memories" USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384;--> statement-breakpoint
CREATE INDEX "memories_embedding_768_hnsw" ON "memories" USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE embedding_dim = 768;--> statement-breakpoint
CREATE INDEX "memories_embedding_1024_hnsw" ON "memories" USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE embedding_dim = 1024;--> statement-breakpoint
CREATE UNIQUE INDEX "processing_runs_version_kind_uq" ON "processing_runs" USING btree ("version_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "vaults_org_name_uq" ON "vaults" USING btree ("org_id","name");
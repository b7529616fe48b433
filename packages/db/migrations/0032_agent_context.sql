CREATE TABLE "agent_contexts" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"vault_id" text NOT NULL,
	"passages" jsonb NOT NULL,
	"feedback_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "module_passages" (
	"version_id" text NOT NULL,
	"n" integer NOT NULL,
	"text" text NOT NULL,
	"embedding" vector NOT NULL,
	"embedding_dim" integer NOT NULL,
	CONSTRAINT "module_passages_version_id_n_pk" PRIMARY KEY("version_id","n")
);
--> statement-breakpoint
CREATE TABLE "section_use" (
	"listing_id" text NOT NULL,
	"section" text NOT NULL,
	"used" bigint DEFAULT 0 NOT NULL,
	"helpful" bigint DEFAULT 0 NOT NULL,
	"unhelpful" bigint DEFAULT 0 NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "section_use_listing_id_section_pk" PRIMARY KEY("listing_id","section")
);
--> statement-breakpoint
ALTER TABLE "agent_contexts" ADD CONSTRAINT "agent_contexts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_contexts" ADD CONSTRAINT "agent_contexts_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "module_passages" ADD CONSTRAINT "module_passages_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "section_use" ADD CONSTRAINT "section_use_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_contexts_created_idx" ON "agent_contexts" USING btree ("created_at");